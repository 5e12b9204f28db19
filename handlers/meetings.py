"""`/bijeenkomsten`: my meetings with my answer; a meeting's card; answering (and changing my mind); and, for
the organiser, the answers per person, cancelling a date. Every press is checked against who presses.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from babel.dates import format_date
from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, filters

from bot.i18n import N_, Translator
from bot.permissions import MyDate, is_member, may_see_meeting
from bot.permissions import may_manage_meeting as may_manage
from bot.services.meeting_changes import cancel_occurrence
from bot.services.meeting_nudges import nudge_now
from bot.services.meetings import (
    Counts,
    MeetingError,
    answer_counts,
    answer_tally,
    load_my_card,
    load_my_date,
    load_occurrence,
    load_occurrence_lean,
    overview,
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


@command(
    "bijeenkomsten",
    "meetings",
    rule=is_member,
    refusal=N_("Only members of the network have meetings. /help explains more."),
)
async def list_meetings(said: Said) -> None:
    """My upcoming meetings (and, for organisers, recent ones), each with a button to open it."""
    t, member = said.t, said.actor
    dates = await overview(said.session, member=member, now=said.now)
    if not dates:
        await said.message.reply_text(t.gettext("You have no upcoming meetings."))
        return
    managed = [d.occurrence.id for d in dates if may_manage(member, d.occurrence.meeting)]
    counts = await answer_counts(said.session, managed)
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
    await said.message.reply_html("\n\n".join(parts), reply_markup=InlineKeyboardMarkup(rows))


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
    await press.turn.commit()
    await press.query.answer(t.gettext("Saved: {answer}").format(answer=answer_label(t, value)))
    # Only the presser's own message shows the counts anew: editing every invitee's would cost a message each.
    counts = (await answer_counts(press.session, [occurrence.id])).get(occurrence.id, {})
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


def build() -> list[BaseHandler[Update, BotContext, None]]:
    """The handlers of this feature."""
    return [
        list_meetings.handler(filters=filters.ChatType.PRIVATE),
        show.handler(),
        answer.handler(),
        nudge.handler(),
        cancel_date.handler(),
    ]
