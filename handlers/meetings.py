"""`/bijeenkomsten`: my meetings with my answer; a meeting's card; answering (and changing my mind); and, for
the organiser, the answers per person, cancelling a date. Every press is checked against who presses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from html import escape

from babel.dates import format_date
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, filters

from bot.i18n import N_, Translator
from bot.permissions import MyDate, is_member, may_see_meeting
from bot.permissions import may_manage_meeting as may_manage
from bot.services.dates import parse_month
from bot.services.meeting_changes import cancel_meeting, cancel_occurrence
from bot.services.meeting_nudges import nudge_now
from bot.services.meetings import (
    PAGE_SIZE,
    Counts,
    MeetingError,
    answer_counts,
    answer_tally,
    load_my_card,
    load_my_date,
    load_occurrence,
    load_occurrence_lean,
    month_start,
    next_month,
    overview,
    overview_count,
    overview_months,
    set_answer,
)
from db.meetings import Answer, MeetingOccurrence, OccurrenceStatus
from db.models import Member
from handlers.callback_data import Action, encode
from handlers.context import BotContext
from handlers.editing import edit_if_changed
from handlers.entry import Press, Said, command, first_id, own_first_id, press
from handlers.meeting_form.errors import ERRORS as MEETING_ERRORS
from handlers.meeting_form.errors import error_text
from handlers.meeting_views import (
    MAX_NAMES,
    answer_label,
    answer_line,
    answers_summary,
    card,
    counts_line,
    invitee_counts_line,
    rsvp_markup,
    when_line,
    with_counts,
)

MAX_TEXT = 3800
NOT_INVITED = N_("You are not invited to this meeting.")
OUTCOMES = {
    "not_invited": NOT_INVITED,
    "cancelled": N_("This meeting date is cancelled."),
    "over": N_("This meeting is over."),
}


def summary(t: Translator, mine: MyDate, member: Member, counts: Counts | None) -> str:
    """One line block per date: title, when, my answer, and for the organiser the counts (None: nobody is
    invited yet)."""
    occurrence = mine.occurrence
    lines = [f"<b>{escape(occurrence.meeting.title)}</b>", when_line(t, occurrence)]
    if occurrence.status == OccurrenceStatus.CANCELLED:
        lines.append(t.gettext("Cancelled."))
    elif mine.invitee is not None:
        lines.append(answer_line(t, mine.invitee.answer))
    if may_manage(member, occurrence.meeting):
        lines.append(counts_line(t, counts) if counts else t.gettext("Invitations not sent yet."))
    return "\n".join(lines)


NO_UPCOMING = N_("You have no upcoming meetings.")
PAGE_GONE = N_("This page of your meetings is not there (any more). Send /meetings for the first page.")
NO_MONTH = N_("You have no meetings in {month}.")
MONTH_USAGE = N_("I can't read that as a month. Send, for example, /meetings 2027-03 or /meetings march.")
MONTHS_PER_ROW = 3
MONTH = "m"  # callback argument: jump to a month (yyyymm)
CHOOSE = "k"  # callback argument: show the month buttons (the page to go back to)


def month_name(t: Translator, month: date) -> str:
    """`maart 2027`."""
    return format_date(month, "LLLL y", locale=t.language)


def month_code(month: date) -> str:
    """A month in callback_data: `202703`."""
    return f"{month.year:04d}{month.month:02d}"


def read_month_code(code: str) -> date | None:
    """A month from callback_data, or None for anything forged."""
    if len(code) != 6 or not code.isdigit() or not 1 <= int(code[4:]) <= 12 or not 2000 <= int(code[:4]) <= 2100:
        return None
    return date(int(code[:4]), int(code[4:]), 1)


@dataclass(frozen=True)
class Page:
    """One page of /bijeenkomsten: its text and buttons."""

    text: str
    markup: InlineKeyboardMarkup | None


async def render_page(session: AsyncSession, t: Translator, member: Member, now: datetime, offset: int) -> Page | None:
    """The dates from `offset` on, as many as fit in one message, with ‹ / › and a month button when there is
    more than one page; None if there is no date at `offset` (the page is gone, or was never there)."""
    total = await overview_count(session, member=member, now=now)
    dates = await overview(session, member=member, now=now, offset=offset) if offset < total else []
    if not dates:
        return None
    managed = [d.occurrence.id for d in dates if may_manage(member, d.occurrence.meeting)]
    counts = await answer_counts(session, managed)
    parts: list[str] = []
    rows = []
    for mine in dates:
        occurrence = mine.occurrence
        part = summary(t, mine, member, counts.get(occurrence.id))
        if parts and sum(len(p) for p in parts) + len(part) > MAX_TEXT:
            break
        parts.append(part)
        day = format_date(occurrence.starts_at.astimezone(t.zone).date(), "d MMM", locale=t.language)
        label = f"{day}: {occurrence.meeting.title}"[:60]
        rows.append([InlineKeyboardButton(label, callback_data=encode(Action.MEETING_SHOW, occurrence.id))])
    shown = len(parts)
    if shown < total:
        header = t.gettext("Dates {first}–{last} of {total}").format(first=offset + 1, last=offset + shown, total=total)
        parts.insert(0, f"<i>{header}</i>")
        nav = []
        if offset > 0:
            nav.append(InlineKeyboardButton("‹", callback_data=encode(Action.MEETING_PAGE, max(0, offset - PAGE_SIZE))))
        nav.append(
            InlineKeyboardButton(t.gettext("📅 Month"), callback_data=encode(Action.MEETING_PAGE, CHOOSE, offset))
        )
        if offset + shown < total:
            nav.append(InlineKeyboardButton("›", callback_data=encode(Action.MEETING_PAGE, offset + shown)))
        rows.append(nav)
    return Page("\n\n".join(parts), InlineKeyboardMarkup(rows))


async def month_offset(session: AsyncSession, t: Translator, member: Member, now: datetime, month: date) -> int | None:
    """Where a month's first date is in my overview, or None if the month has no date of mine."""
    start, end = month_start(month, t.zone), month_start(next_month(month), t.zone)
    before = await overview_count(session, member=member, now=now, before=start)
    if await overview_count(session, member=member, now=now, before=end) == before:
        return None
    return before


async def no_dates_in(session: AsyncSession, t: Translator, member: Member, now: datetime, month: date) -> str:
    """`You have no meetings in maart 2027.`, with the months that have some."""
    text = t.gettext(NO_MONTH).format(month=month_name(t, month))
    months = await overview_months(session, member=member, now=now, zone=t.zone)
    if months:
        text += "\n" + t.gettext("Months with meetings: {months}").format(
            months=", ".join(month_name(t, m) for m in months)
        )
    return text


@command(
    "bijeenkomsten",
    "meetings",
    rule=is_member,
    refusal=N_("Only members of the network have meetings. /help explains more."),
)
async def list_meetings(said: Said) -> None:
    """My upcoming meetings (and, for organisers, recent ones), a page at a time, each with a button to open it;
    `/bijeenkomsten maart` or `/bijeenkomsten 2027-03` starts at that month."""
    t, member, session, now = said.t, said.actor, said.session, said.now
    offset = 0
    if said.args:
        month = parse_month(" ".join(said.args)[:40], now.astimezone(t.zone).date())
        if month is None:
            await said.message.reply_text(t.gettext(MONTH_USAGE))
            return
        found = await month_offset(session, t, member, now, month)
        if found is None:
            await said.message.reply_text(await no_dates_in(session, t, member, now, month))
            return
        offset = found
    page = await render_page(session, t, member, now, offset)
    if page is None:
        await said.message.reply_text(t.gettext(NO_UPCOMING))
        return
    await said.message.reply_html(page.text, reply_markup=page.markup)


def months_markup(t: Translator, months: dict[date, int], back: int) -> InlineKeyboardMarkup:
    """A button per month that has dates (with how many), three a row, and one back to the page."""
    buttons = [
        InlineKeyboardButton(
            f"{format_date(month, 'LLL y', locale=t.language)} ({count})",
            callback_data=encode(Action.MEETING_PAGE, MONTH, month_code(month)),
        )
        for month, count in months.items()
    ]
    rows = [buttons[i : i + MONTHS_PER_ROW] for i in range(0, len(buttons), MONTHS_PER_ROW)]
    rows.append([InlineKeyboardButton(t.gettext("‹ Back"), callback_data=encode(Action.MEETING_PAGE, back))])
    return InlineKeyboardMarkup(rows)


async def _show_months(press: Press[None], back: int) -> None:
    """The month buttons in place of the page; `back` is the page they were opened from."""
    t, member = press.t, press.actor
    months = await overview_months(press.session, member=member, now=press.now, zone=t.zone)
    if not months or back >= await overview_count(press.session, member=member, now=press.now):
        await press.refuse(PAGE_GONE)
        return
    await press.query.answer()
    await edit_if_changed(press.query, t.gettext("Which month?"), months_markup(t, months, back))


async def _month_page(press: Press[None], code: str) -> int | None:
    """Where a pressed month starts in my overview; None (the press answered) for a forged month or one
    without dates of mine."""
    t = press.t
    month = read_month_code(code)
    found = None if month is None else await month_offset(press.session, t, press.actor, press.now, month)
    if month is None or found is None:
        text = t.gettext(PAGE_GONE) if month is None else t.gettext(NO_MONTH).format(month=month_name(t, month))
        await press.query.answer(text, show_alert=True)
    return found


@press(
    Action.MEETING_PAGE, rule=is_member, refusal=N_("Only members of the network have meetings. /help explains more.")
)
async def page_button(press: Press[None]) -> None:
    """Another page (`v1:mp:<offset>`), the month buttons (`v1:mp:k:<offset>`) or a month's page
    (`v1:mp:m:<yyyymm>`). The data is input: an offset with no date of mine there, a month that is no month or
    has no date of mine, gets a short answer and the message stays as it is."""
    args = press.data.args
    back = press.data.int_arg(1)
    if len(args) == 2 and args[0] == CHOOSE and back is not None:
        await _show_months(press, back)
        return
    if len(args) == 2 and args[0] == MONTH:
        offset = await _month_page(press, args[1])
        if offset is None:
            return
    else:
        offset = press.data.int_arg(0) if len(args) == 1 else None
    page = None if offset is None else await render_page(press.session, press.t, press.actor, press.now, offset)
    if page is None:
        await press.refuse(NO_UPCOMING if offset == 0 else PAGE_GONE)
        return
    await press.query.answer()
    await edit_if_changed(press.query, page.text, page.markup)


def manage_markup(
    t: Translator, occurrence: MeetingOccurrence, member: Member, now_ended: bool
) -> list[list[InlineKeyboardButton]]:
    """The organiser's buttons: move or cancel an upcoming date, record action points once it has begun."""
    rows: list[list[InlineKeyboardButton]] = []
    if not may_manage(member, occurrence.meeting) or occurrence.status != OccurrenceStatus.SCHEDULED:
        return rows
    if not now_ended:
        rows.append(
            [
                InlineKeyboardButton(t.gettext("Move"), callback_data=encode(Action.MEETING_MOVE, occurrence.id)),
                InlineKeyboardButton(
                    t.gettext("Cancel date"), callback_data=encode(Action.MEETING_CANCEL, occurrence.id)
                ),
            ]
        )
        change = [
            InlineKeyboardButton(t.gettext("Change…"), callback_data=encode(Action.MEETING_EDIT_MENU, occurrence.id))
        ]
        if occurrence.meeting.rrule:
            label = t.gettext("Cancel every date")
            change.append(InlineKeyboardButton(label, callback_data=encode(Action.MEETING_CANCEL_ALL, occurrence.id)))
        rows.append(change)
    return rows


NOT_ALLOWED = MEETING_ERRORS["not_allowed"]


@press(Action.MEETING_SHOW, rule=may_see_meeting, subject=own_first_id(load_my_card), refusal=NOT_ALLOWED)
async def show(press: Press[MyDate]) -> None:
    """A meeting's card: for invitees with the answer buttons, for the organiser with everyone's answers
    (counted in SQL, the first names of each answer only)."""
    t, member, mine, now = press.t, press.actor, press.subject, press.now
    occurrence = mine.occurrence
    await press.query.answer()
    lines = [card(t, occurrence)]
    rows: list[list[InlineKeyboardButton]] = []
    scheduled = occurrence.status == OccurrenceStatus.SCHEDULED
    if not scheduled:
        lines.append(t.gettext("Cancelled."))
    if mine.invitee is not None:
        answer = mine.invitee.answer
        counts = (await answer_counts(press.session, [occurrence.id])).get(occurrence.id, {})
        lines += ["", invitee_counts_line(t, counts), answer_line(t, answer)]
        if scheduled and occurrence.ends_at > now:
            rows += [list(row) for row in rsvp_markup(t, occurrence, answer).inline_keyboard]
    if may_manage(member, occurrence.meeting):
        tally = await answer_tally(press.session, occurrence.id, MAX_NAMES)
        lines += ["", "<b>" + t.gettext("Answers") + "</b>", answers_summary(t, tally)]
        rows += organiser_rows(t, occurrence, member, now, waiting=tally.counts.get(None, 0))
    await press.query.get_bot().send_message(
        press.query.from_user.id,
        fit_message("\n".join(lines)),
        parse_mode=ParseMode.HTML,
        reply_markup=InlineKeyboardMarkup(rows) if rows else None,
    )


def organiser_rows(
    t: Translator, occurrence: MeetingOccurrence, member: Member, now: datetime, *, waiting: int = 0
) -> list[list[InlineKeyboardButton]]:
    """Before the meeting: remind those who have not answered (`waiting` of them), move, cancel; once it has
    begun, recording an action point."""
    begun = occurrence.starts_at <= now
    rows: list[list[InlineKeyboardButton]] = []
    if waiting and not begun and occurrence.status == OccurrenceStatus.SCHEDULED:
        label = t.gettext("Remind those who have not answered")
        rows.append([InlineKeyboardButton(label, callback_data=encode(Action.MEETING_NUDGE, occurrence.id))])
    rows += manage_markup(t, occurrence, member, begun)
    if begun and occurrence.status == OccurrenceStatus.SCHEDULED:
        label = t.gettext("Add action point")
        rows.append([InlineKeyboardButton(label, callback_data=encode(Action.ACTION_ADD, occurrence.id))])
    return rows


def fit_message(html_text: str, limit: int = 4000) -> str:
    """Shorten by whole lines, never inside a tag or an entity, to stay under Telegram's 4096 characters."""
    if len(html_text) <= limit:
        return html_text
    kept: list[str] = []
    for line in html_text.split("\n"):
        if sum(len(k) + 1 for k in kept) + len(line) > limit - 2:
            break
        kept.append(line)
    return "\n".join([*kept, "…"])


@press(Action.MEETING_RSVP, checked_by=set_answer, subject=own_first_id(load_my_date), refusal=NOT_INVITED)
async def answer(press: Press[MyDate]) -> None:
    """Ja / Nee / Misschien, as often as one changes one's mind; the pressed message shows the new answer.
    The service checks that the presser is invited and the date still on. Only the date and the presser's own
    invitation are read, so a press costs the same however many are invited."""
    t, mine, member = press.t, press.subject, press.member
    occurrence = mine.occurrence
    value = press.data.args[1] if len(press.data.args) > 1 else ""
    if member is None or value not in {a.value for a in Answer}:
        await press.refuse(NOT_INVITED)
        return
    before = mine.invitee.answer if mine.invitee is not None else None
    outcome = await set_answer(press.session, now=press.now, member=member, mine=mine, answer=Answer(value))
    if outcome != "ok":
        await press.refuse(OUTCOMES[outcome])
        return
    # Only the presser's own message shows the counts anew: editing every invitee's would cost a message each.
    # Counted in the answer's own transaction (its own answer included), so showing them needs no second one.
    counts = (await answer_counts(press.session, [occurrence.id])).get(occurrence.id, {})
    await press.turn.commit()
    await press.query.answer(t.gettext("Saved: {answer}").format(answer=answer_label(t, value)))
    await _show_answer(press.query, t, occurrence, before, value, counts)


async def _show_answer(
    query: CallbackQuery, t: Translator, occurrence: MeetingOccurrence, before: str | None, value: str, counts: Counts
) -> None:
    """The pressed message with the new answer, the counts as they are now, and its buttons (left alone when it
    shows all that already)."""
    pressed = query.message
    markup = rsvp_markup(t, occurrence, value)
    if isinstance(pressed, Message) and pressed.text:
        mine = answer_line(t, value)
        html = pressed.text_html.replace(answer_line(t, before), mine)
        await edit_if_changed(query, with_counts(html, invitee_counts_line(t, counts), mine), markup)
    elif before != value:
        await query.edit_message_reply_markup(markup)


NUDGE_OUTCOMES = {
    "already_today": N_("You already sent a reminder for this date today. You can send another tomorrow."),
    "nobody": N_("Everyone invited has answered."),
    "not_scheduled": MEETING_ERRORS["not_scheduled"],
}


@press(Action.MEETING_NUDGE, rule=may_manage, subject=first_id(load_occurrence_lean), refusal=NOT_ALLOWED)
async def nudge(press: Press[MeetingOccurrence]) -> None:
    """Remind those who have not answered, once a day per date; a second press that day is refused, saying so."""
    t, member = press.t, press.member
    assert member is not None  # the rule lets only the organiser and the coordinators through
    done = await nudge_now(press.session, now=press.now, member=member, occurrence=press.subject)
    if done.outcome != "ok":
        await press.refuse(NUDGE_OUTCOMES[done.outcome])
        return
    await press.turn.commit()
    if done.morning:
        text = t.ngettext(
            "Reminder to {count} person who has not answered: it goes out at 08:00, not at night.",
            "Reminder to {count} people who have not answered: it goes out at 08:00, not at night.",
            done.count,
        )
    else:
        text = t.ngettext(
            "Reminder sent to {count} person who has not answered.",
            "Reminder sent to {count} people who have not answered.",
            done.count,
        )
    await press.query.answer(text.format(count=done.count), show_alert=True)


@press(Action.MEETING_CANCEL, rule=may_manage, subject=first_id(load_occurrence), refusal=NOT_ALLOWED)
async def cancel_date(press: Press[MeetingOccurrence]) -> None:
    """Cancel one date, after a confirmation; every invitee is told, with a cancelling calendar file."""
    t, occurrence, query = press.t, press.subject, press.query
    if occurrence.status != OccurrenceStatus.SCHEDULED or occurrence.ends_at <= press.now:
        await press.refuse(MEETING_ERRORS["not_scheduled"])
        return
    if press.data.args[1:] != ("y",):
        await query.answer()
        label = t.gettext("Yes, cancel this date")
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton(label, callback_data=encode(Action.MEETING_CANCEL, occurrence.id, "y"))]]
        )
        text = t.gettext("Cancel <b>{title}</b> on {when}? Everyone invited is told.").format(
            title=escape(occurrence.meeting.title), when=when_line(t, occurrence)
        )
        await query.get_bot().send_message(query.from_user.id, text, parse_mode=ParseMode.HTML, reply_markup=markup)
        return
    try:
        told = await cancel_occurrence(press.session, now=press.now, actor=press.member, occurrence=occurrence)
    except MeetingError as exc:
        await query.answer(error_text(t, exc.code), show_alert=True)
        return
    await press.turn.commit()
    await query.answer()
    text = t.ngettext("Cancelled. {count} person invited is told.", "Cancelled. {count} people invited are told.", told)
    await edit_if_changed(query, text.format(count=told))


@press(Action.MEETING_EDIT_MENU, rule=may_manage, subject=first_id(load_occurrence), refusal=NOT_ALLOWED)
async def change_menu(press: Press[MeetingOccurrence]) -> None:
    """What to change of a meeting (every date of a series): its title, place, online link or agenda."""
    t, occurrence, query = press.t, press.subject, press.query
    if occurrence.meeting.cancelled_at is not None:
        await press.refuse(MEETING_ERRORS["not_scheduled"])
        return
    await query.answer()
    labels = (
        ("title", N_("Title")),
        ("place", N_("Place")),
        ("link", N_("Online link")),
        ("agenda", N_("Agenda")),
        ("audience", N_("Who is invited")),
    )
    buttons = [
        InlineKeyboardButton(t.gettext(label), callback_data=encode(Action.MEETING_EDIT, occurrence.id, detail))
        for detail, label in labels
    ]
    text = t.gettext("What of <b>{title}</b> do you want to change? It applies to every date still ahead.")
    await query.get_bot().send_message(
        query.from_user.id,
        text.format(title=escape(occurrence.meeting.title)),
        parse_mode=ParseMode.HTML,
        reply_markup=InlineKeyboardMarkup([buttons[:2], buttons[2:4], buttons[4:]]),
    )


@press(Action.MEETING_CANCEL_ALL, rule=may_manage, subject=first_id(load_occurrence), refusal=NOT_ALLOWED)
async def cancel_all(press: Press[MeetingOccurrence]) -> None:
    """Cancel a series, after a confirmation: every date still ahead, each invitee told per date they were
    invited to (with a cancelling calendar file); no new dates are planned."""
    t, occurrence, query = press.t, press.subject, press.query
    meeting = occurrence.meeting
    if meeting.cancelled_at is not None:
        await press.refuse(MEETING_ERRORS["not_scheduled"])
        return
    if press.data.args[1:] != ("y",):
        await query.answer()
        label = t.gettext("Yes, cancel every date")
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton(label, callback_data=encode(Action.MEETING_CANCEL_ALL, occurrence.id, "y"))]]
        )
        text = t.gettext("Cancel <b>{title}</b>, every date still ahead? Everyone invited is told.")
        await query.get_bot().send_message(
            query.from_user.id, text.format(title=escape(meeting.title)), parse_mode=ParseMode.HTML, reply_markup=markup
        )
        return
    try:
        told = await cancel_meeting(press.session, now=press.now, actor=press.member, meeting=meeting)
    except MeetingError as exc:
        await query.answer(error_text(t, exc.code), show_alert=True)
        return
    await press.turn.commit()
    await query.answer()
    text = t.ngettext(
        "Cancelled, every date. {count} invitation is withdrawn.",
        "Cancelled, every date. {count} invitations are withdrawn.",
        told,
    )
    await edit_if_changed(query, text.format(count=told))


def build() -> list[BaseHandler[Update, BotContext, None]]:
    """The handlers of this feature."""
    return [
        list_meetings.handler(filters=filters.ChatType.PRIVATE),
        page_button.handler(),
        show.handler(),
        answer.handler(),
        nudge.handler(),
        cancel_date.handler(),
        change_menu.handler(),
        cancel_all.handler(),
    ]
