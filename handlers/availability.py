"""`/beschikbaarheid`, `/afwezig`, `/pauze`, `/stilleuren`: when and how far a member can help."""

from __future__ import annotations

from datetime import date
from html import escape

from babel.dates import format_date
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, filters

from bot.i18n import N_, Translator
from bot.permissions import may_help
from bot.services.availability import (
    REACHES,
    WORKING_DAYS,
    AvailabilityError,
    Declared,
    add_days_off,
    declared,
    has_quiet_hours,
    pause,
    remove_day_off,
    set_quiet_hours,
    set_reach,
    toggle_lendable,
    toggle_slot,
)
from bot.services.dates import DateInputError, parse_date, parse_dates
from db.models import Daypart, Member
from handlers.callback_data import Action, encode
from handlers.context import BotContext
from handlers.editing import edit_if_changed
from handlers.entry import STALE, Press, Said, command, press
from handlers.form_errors import error_text
from handlers.request_views import DAYPART_LABELS
from handlers.texts import role_label

REACH_LABELS = {"wijk": N_("own wijk"), "adjacent": N_("adjacent wijken too"), "region": N_("whole region")}
MESSAGES = {
    "last_role": N_("At least one of your roles stays on."),
    "empty_range": N_("Quiet hours need a start and an end, such as 21:00-07:00."),
    "unreadable_time": N_(
        "I can't read those times. Type them like 21:00-07:00, or /quiethours off to switch them off."
    ),
}
OFF_WORDS = ("uit", "off", "stop", "nee", "no")


def _button(label: str, kind: str, *values: str | int) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=encode(Action.AVAILABILITY, kind, *values))


def overview(t: Translator, member: Member, mine: Declared) -> tuple[str, InlineKeyboardMarkup]:
    """The member's declarations as text, with toggles."""
    rows = _slot_rows(t, mine)
    rows.append(
        [
            _button(("✅ " if member.reach == reach else "") + t.gettext(REACH_LABELS[reach]), "r", reach)
            for reach in REACHES
        ]
    )
    if len(member.role_rows) > 1:
        rows.append(
            [
                _button(("✅ " if row.lendable else "▫️ ") + role_label(t, row.role), "l", row.role)
                for row in member.role_rows
            ]
        )
    for day in mine.days_off[:6]:
        rows.append([_button("✖ " + format_date(day, "EEE d MMM", locale=t.language), "x", day.strftime("%Y%m%d"))])
    return _overview_text(t, member, mine), InlineKeyboardMarkup(rows)


def _slot_rows(t: Translator, mine: Declared) -> list[list[InlineKeyboardButton]]:
    """A row per working day: its morning and afternoon, ticked when declared."""
    rows = []
    for weekday in WORKING_DAYS:
        name = format_date(date(2026, 11, 23 + weekday), "EEE", locale=t.language)  # a Monday-to-Friday week
        row = []
        for part in (Daypart.OCHTEND, Daypart.MIDDAG):
            mark = "✅" if (weekday, part) in mine.slots else "▫️"
            row.append(_button(f"{mark} {name} {t.gettext(DAYPART_LABELS[part])}", "t", weekday, part.value))
        rows.append(row)
    return rows


def _overview_text(t: Translator, member: Member, mine: Declared) -> str:
    days_off = ", ".join(format_date(day, "EEE d MMM", locale=t.language) for day in mine.days_off) or "–"
    paused = format_date(member.paused_until, "d MMMM", locale=t.language) if member.paused_until else "–"
    return "\n".join(
        [
            "<b>" + t.gettext("Availability") + "</b>",
            t.gettext("Tap the day-parts on which you can help: requests for those reach you first."),
            t.gettext("How far: {reach}").format(reach=t.gettext(REACH_LABELS[member.reach])),
            t.gettext("Days off: {days} (add with /afwezig 24-12)").format(days=escape(days_off)),
            t.gettext("Paused until: {date} (/pauze 15-12, /pauze uit)").format(date=escape(paused)),
            quiet_hours_line(t, member),
        ]
    )


def quiet_hours_line(t: Translator, member: Member) -> str:
    """The member's quiet hours, or that they are off, and how to change them."""
    if not has_quiet_hours(member):
        return t.gettext("Quiet hours: off, every request reaches you at once (/quiethours 21:00-07:00 to set them).")
    return t.gettext(
        "Quiet hours: {start}–{end} (/quiethours 21:00-07:00, /quiethours off); urgent requests still come through."
    ).format(start=member.quiet_start, end=member.quiet_end)


def why_not_helper(member: Member | None) -> str:
    """A stranger is told how to join; a coordinator-only member that nobody asks them to help."""
    if member is None:
        return N_("You are not a member yet. Open your invitation link to join.")
    return N_("This is for members who can be asked to help.")


@command("beschikbaarheid", "availability", rule=may_help, refusal=why_not_helper)
async def show(said: Said) -> None:
    """Show the overview with its toggles."""
    member = said.actor
    text, markup = overview(said.t, member, await declared(said.session, member, said.now.date()))
    await said.message.reply_html(text, reply_markup=markup)


async def _apply_toggle(session: AsyncSession, member: Member, args: tuple[str, ...]) -> None:
    """Change what one toggle names; AvailabilityError or ValueError for anything else."""
    kind, values = args[0], args[1:]
    if kind == "t" and len(values) == 2 and values[0].isdigit():
        await toggle_slot(session, member, int(values[0]), values[1])
    elif kind == "r" and len(values) == 1:
        set_reach(member, values[0])
    elif kind == "l" and len(values) == 1:
        toggle_lendable(member, values[0])
    elif kind == "x" and len(values) == 1:
        await remove_day_off(session, member, _day_code(values[0]))
    else:
        raise AvailabilityError("unknown")


def _day_code(code: str) -> date:
    """A day as the button writes it (20261224); ValueError for anything else."""
    if not (code.isdigit() and len(code) == 8):
        raise AvailabilityError("unknown")
    return date(int(code[:4]), int(code[4:6]), int(code[6:]))


@press(Action.AVAILABILITY, rule=may_help, alert=False)
async def press_toggle(press: Press[None]) -> None:
    """A toggle in the overview; every press is checked and the overview redrawn."""
    t, member, args = press.t, press.actor, press.data.args
    if not args:
        await press.refuse(STALE, alert=False)
        return
    try:
        await _apply_toggle(press.session, member, args)
    except (AvailabilityError, ValueError) as exc:
        code = exc.code if isinstance(exc, AvailabilityError) else "unknown"
        await press.refuse(MESSAGES.get(code, STALE))
        return
    await press.turn.commit()
    await press.query.answer()
    text, markup = overview(t, member, await declared(press.session, member, press.now.date()))
    await edit_if_changed(press.query, text, markup)


@command("afwezig", "dayoff", rule=may_help, refusal=why_not_helper)
async def days_off(said: Said) -> None:
    """`/afwezig 24-12, 31-12`: days on which the member cannot help."""
    t, member, message = said.t, said.actor, said.message
    text = " ".join(said.args)
    if not text:
        await message.reply_text(t.gettext("Type the days after the command, e.g. /afwezig 24-12, 31-12."))
        return
    today = said.now.astimezone(t.zone).date()
    try:
        days = parse_dates(text[:300], today)
        added = await add_days_off(said.session, member, days, today)
    except DateInputError as exc:
        await message.reply_html(error_text(t, exc.code, part=exc.part))
        return
    except AvailabilityError as exc:
        await message.reply_html(error_text(t, exc.code))
        return
    await said.turn.commit()
    reply = t.ngettext("{count} day off added.", "{count} days off added.", added).format(count=added)
    overview_text, markup = overview(t, member, await declared(said.session, member, today))
    await message.reply_html(escape(reply) + "\n\n" + overview_text, reply_markup=markup)


@command("pauze", "pause", rule=may_help, refusal=why_not_helper)
async def pause_requests(said: Said) -> None:
    """`/pauze 15-12` mutes requests until that day; `/pauze uit` ends it."""
    t, member, message = said.t, said.actor, said.message
    text = " ".join(said.args).strip()
    today = said.now.astimezone(t.zone).date()
    if not text:
        await message.reply_text(t.gettext("Type until when, e.g. /pauze 15-12, or /pauze uit to end a pause."))
        return
    try:
        until = None if text.lower() in OFF_WORDS else parse_date(text[:60], today)
        await pause(said.session, now=said.now, member=member, until=until, today=today)
    except DateInputError as exc:
        await message.reply_html(error_text(t, exc.code, part=exc.part or text[:60]))
        return
    except AvailabilityError as exc:
        await message.reply_html(error_text(t, exc.code))
        return
    await said.turn.commit()
    if until is None:
        await message.reply_text(t.gettext("Pause ended: requests reach you again."))
    else:
        day = format_date(until, "EEEE d MMMM", locale=t.language)
        await message.reply_text(t.gettext("No requests until and including {day}.").format(day=day))


@command("stilleuren", "quiethours", rule=may_help, refusal=why_not_helper)
async def quiet_hours(said: Said) -> None:
    """`/stilleuren` shows them; `/stilleuren 21:00-07:00` sets them (normal requests wait until they end);
    `/stilleuren uit` switches them off, `/stilleuren aan` back to the default."""
    t, member = said.t, said.actor
    if not said.args:
        await said.turn.commit()
        await said.message.reply_text(quiet_hours_line(t, member))
        return
    try:
        set_quiet_hours(member, " ".join(said.args)[:40])
    except AvailabilityError as exc:
        await said.reply(MESSAGES[exc.code])
        return
    await said.turn.commit()
    if not has_quiet_hours(member):
        await said.message.reply_text(
            t.gettext(
                "Quiet hours are off: every request reaches you at once, also at night. /quiethours on undoes it."
            )
        )
        return
    await said.message.reply_text(
        t.gettext("Quiet hours: {start}–{end}. Urgent requests still come through.").format(
            start=member.quiet_start, end=member.quiet_end
        )
    )


def build() -> list[BaseHandler[Update, BotContext, None]]:
    """The handlers of this feature (private chats only)."""
    private = filters.ChatType.PRIVATE
    return [
        show.handler(filters=private),
        days_off.handler(filters=private),
        pause_requests.handler(filters=private),
        quiet_hours.handler(filters=private),
        press_toggle.handler(),
    ]
