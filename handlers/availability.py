"""`/beschikbaarheid`, `/afwezig`, `/pauze`, `/stilleuren`: when and how far a member can help."""

from __future__ import annotations

from datetime import date
from html import escape

from babel.dates import format_date
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.i18n import N_, Translator
from bot.permissions import may_help
from bot.services.availability import (
    REACHES,
    WORKING_DAYS,
    AvailabilityError,
    Declared,
    add_days_off,
    declared,
    pause,
    remove_day_off,
    set_quiet_hours,
    set_reach,
    toggle_lendable,
    toggle_slot,
)
from bot.services.dates import DateInputError, parse_date, parse_dates
from db.models import Daypart, Member
from handlers.callback_data import Action, decode, encode, pattern
from handlers.context import BotContext, Turn, open_turn
from handlers.editing import edit_if_changed
from handlers.form_errors import error_text
from handlers.request_views import DAYPART_LABELS
from handlers.texts import role_label

REACH_LABELS = {"wijk": N_("own wijk"), "adjacent": N_("adjacent wijken too"), "region": N_("whole region")}
MESSAGES = {
    "last_role": N_("At least one of your roles stays on."),
    "empty_range": N_("Quiet hours need a start and an end, such as 21:00-07:00."),
    "unreadable_time": N_("I can't read those times. Type them like 21:00-07:00."),
}
OFF_WORDS = ("uit", "off", "stop", "nee", "no")


def _button(label: str, kind: str, *values: str | int) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=encode(Action.AVAILABILITY, kind, *values))


def overview(t: Translator, member: Member, mine: Declared) -> tuple[str, InlineKeyboardMarkup]:
    """The member's declarations as text, with toggles."""
    rows = []
    for weekday in WORKING_DAYS:
        name = format_date(date(2026, 11, 23 + weekday), "EEE", locale=t.language)  # a Monday-to-Friday week
        row = []
        for part in (Daypart.OCHTEND, Daypart.MIDDAG):
            mark = "✅" if (weekday, part.value) in mine.slots else "▫️"
            row.append(_button(f"{mark} {name} {t.gettext(DAYPART_LABELS[part])}", "t", weekday, part.value))
        rows.append(row)
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
    days_off = ", ".join(format_date(day, "EEE d MMM", locale=t.language) for day in mine.days_off) or "–"
    paused = format_date(member.paused_until, "d MMMM", locale=t.language) if member.paused_until else "–"
    text = "\n".join(
        [
            "<b>" + t.gettext("Availability") + "</b>",
            t.gettext("Tap the day-parts on which you can help: requests for those reach you first."),
            t.gettext("How far: {reach}").format(reach=t.gettext(REACH_LABELS[member.reach])),
            t.gettext("Days off: {days} (add with /afwezig 24-12)").format(days=escape(days_off)),
            t.gettext("Paused until: {date} (/pauze 15-12, /pauze uit)").format(date=escape(paused)),
            t.gettext(
                "Quiet hours: {start}–{end} (/stilleuren 21:00-07:00); urgent requests still come through."
            ).format(start=member.quiet_start, end=member.quiet_end),
        ]
    )
    return text, InlineKeyboardMarkup(rows)


def _helper(turn: Turn) -> Member | None:
    """Availability is for members who can be asked to help."""
    return turn.member if may_help(turn.member) else None


async def _helper_or_explain(message: Message, turn: Turn) -> Member | None:
    """The member who may declare availability, or None after telling a stranger how to join."""
    member = _helper(turn)
    if member is None and turn.member is not None:
        # A coordinator-only member: nobody asks them to help, so there is nothing to declare.
        await message.reply_text(turn.t.gettext("This is for members who can be asked to help."))
    elif member is None:
        await message.reply_text(turn.t.gettext("You are not a member yet. Open your invitation link to join."))
    return member


async def show(update: Update, context: BotContext) -> None:
    """Show the overview with its toggles."""
    message = update.effective_message
    assert message is not None
    async with open_turn(update, context) as turn:
        member = await _helper_or_explain(message, turn)
        if member is None:
            return
        text, markup = overview(turn.t, member, await declared(turn.session, member, turn.now.date()))
        await message.reply_html(text, reply_markup=markup)


async def press(update: Update, context: BotContext) -> None:
    """A toggle in the overview; every press is checked and the overview redrawn."""
    query = update.callback_query
    assert query is not None
    data = decode(query.data)
    async with open_turn(update, context) as turn:
        t, member = turn.t, _helper(turn)
        args = data.args if data else ()
        if member is None or not args:
            await query.answer(t.gettext("This button no longer works."))
            return
        try:
            if args[0] == "t" and len(args) == 3 and args[1].isdigit():
                await toggle_slot(turn.session, member, int(args[1]), args[2])
            elif args[0] == "r" and len(args) == 2:
                set_reach(member, args[1])
            elif args[0] == "l" and len(args) == 2:
                toggle_lendable(member, args[1])
            elif args[0] == "x" and len(args) == 2 and args[1].isdigit() and len(args[1]) == 8:
                await remove_day_off(turn.session, member, date(int(args[1][:4]), int(args[1][4:6]), int(args[1][6:])))
            else:
                raise AvailabilityError("unknown")
        except (AvailabilityError, ValueError) as exc:
            code = exc.code if isinstance(exc, AvailabilityError) else "unknown"
            await query.answer(t.gettext(MESSAGES.get(code, N_("This button no longer works."))), show_alert=True)
            return
        await turn.commit()
        await query.answer()
        text, markup = overview(t, member, await declared(turn.session, member, turn.now.date()))
        await edit_if_changed(query, text, markup)


async def days_off(update: Update, context: BotContext) -> None:
    """`/afwezig 24-12, 31-12`: days on which the member cannot help."""
    message = update.effective_message
    assert message is not None
    async with open_turn(update, context) as turn:
        t, member = turn.t, await _helper_or_explain(message, turn)
        if member is None:
            return
        text = " ".join(context.args or [])
        if not text:
            await message.reply_text(t.gettext("Type the days after the command, e.g. /afwezig 24-12, 31-12."))
            return
        today = turn.now.astimezone(t.zone).date()
        try:
            days = parse_dates(text[:300], today)
            added = await add_days_off(turn.session, member, days, today)
        except DateInputError as exc:
            await message.reply_html(error_text(t, exc.code, part=exc.part))
            return
        except AvailabilityError as exc:
            await message.reply_html(error_text(t, exc.code))
            return
        await turn.commit()
        reply = t.ngettext("{count} day off added.", "{count} days off added.", added).format(count=added)
        overview_text, markup = overview(t, member, await declared(turn.session, member, today))
        await message.reply_html(escape(reply) + "\n\n" + overview_text, reply_markup=markup)


async def pause_requests(update: Update, context: BotContext) -> None:
    """`/pauze 15-12` mutes requests until that day; `/pauze uit` ends it."""
    message = update.effective_message
    assert message is not None
    async with open_turn(update, context) as turn:
        t, member = turn.t, await _helper_or_explain(message, turn)
        if member is None:
            return
        text = " ".join(context.args or []).strip()
        today = turn.now.astimezone(t.zone).date()
        if not text:
            await message.reply_text(t.gettext("Type until when, e.g. /pauze 15-12, or /pauze uit to end a pause."))
            return
        try:
            until = None if text.lower() in OFF_WORDS else parse_date(text[:60], today)
            await pause(turn.session, now=turn.now, member=member, until=until, today=today)
        except DateInputError as exc:
            await message.reply_html(error_text(t, exc.code, part=exc.part or text[:60]))
            return
        except AvailabilityError as exc:
            await message.reply_html(error_text(t, exc.code))
            return
        await turn.commit()
        if until is None:
            await message.reply_text(t.gettext("Pause ended: requests reach you again."))
        else:
            day = format_date(until, "EEEE d MMMM", locale=t.language)
            await message.reply_text(t.gettext("No requests until and including {day}.").format(day=day))


async def quiet_hours(update: Update, context: BotContext) -> None:
    """`/stilleuren 21:00-07:00`: normal requests wait until the end of these hours."""
    message = update.effective_message
    assert message is not None
    async with open_turn(update, context) as turn:
        t, member = turn.t, await _helper_or_explain(message, turn)
        if member is None:
            return
        try:
            set_quiet_hours(member, " ".join(context.args or [])[:40])
        except AvailabilityError as exc:
            await message.reply_text(t.gettext(MESSAGES[exc.code]))
            return
        await turn.commit()
        await message.reply_text(
            t.gettext("Quiet hours: {start}–{end}. Urgent requests still come through.").format(
                start=member.quiet_start, end=member.quiet_end
            )
        )


def build() -> list[BaseHandler[Update, BotContext, None]]:
    """The handlers of this feature (private chats only)."""
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler(["beschikbaarheid", "availability"], show, filters=private),
        CommandHandler(["afwezig", "dayoff"], days_off, filters=private),
        CommandHandler(["pauze", "pause"], pause_requests, filters=private),
        CommandHandler(["stilleuren", "quiethours"], quiet_hours, filters=private),
        CallbackQueryHandler(press, pattern=pattern(Action.AVAILABILITY)),
    ]
