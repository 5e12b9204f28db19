"""Rendering the notices about meetings and action points, at send time, in the reader's language.

A notice whose reason has gone (the date was cancelled or moved after the reminder was queued, the meeting has
begun, the action point is done) renders to None and is skipped rather than sent.
"""

from __future__ import annotations

import logging
from html import escape

from bot.services.actions import load_action
from bot.services.calendars import event_of
from bot.services.meetings import answer_of, load_occurrence_lean
from bot.services.notices import (
    ActionAssigned,
    ActionDueSoon,
    MeetingCancelled,
    MeetingIcs,
    MeetingInvite,
    MeetingMoved,
    MeetingReminderDue,
    MeetingUpdated,
)
from db.meetings import DueStatus, MeetingOccurrence, MeetingReminder, OccurrenceStatus
from handlers.meeting_views import (
    action_text,
    answer_line,
    calendar_for,
    card,
    done_markup,
    invitation,
    rsvp_markup,
    when_line,
)
from handlers.rendered import Rendered, Renderers, ToMember, for_member

log = logging.getLogger(__name__)


def _title(occurrence: MeetingOccurrence) -> str:
    """The meeting's title, escaped for HTML."""
    return escape(occurrence.meeting.title)


async def _upcoming(reader: ToMember, occurrence_id: int) -> MeetingOccurrence | None:
    """The date if it still takes place and is not over; the cancel notice says what there is to say else."""
    occurrence = await load_occurrence_lean(reader.session, occurrence_id)
    if occurrence is None or occurrence.status != OccurrenceStatus.SCHEDULED:
        return None
    return occurrence if occurrence.ends_at > reader.now else None


async def render_ics(reader: ToMember, notice: MeetingIcs) -> Rendered | None:
    """The calendar file of a date, as it is now (also for a cancelled date: calendars then drop it)."""
    occurrence = await load_occurrence_lean(reader.session, notice.occurrence_id)
    if occurrence is None:
        return None
    name, content = calendar_for(await event_of(reader.session, occurrence, reader.now), occurrence.id)
    caption = reader.t.gettext("Calendar file for {title}: open it to add it to your calendar, or update it.")
    return Rendered(caption.format(title=_title(occurrence)), document=(name, content))


async def render_cancelled(reader: ToMember, notice: MeetingCancelled) -> Rendered | None:
    """A date does not take place."""
    occurrence = await load_occurrence_lean(reader.session, notice.occurrence_id)
    if occurrence is None:
        return None
    text = reader.t.gettext("❌ <b>Cancelled</b>: {title} on {when} does not take place.")
    return Rendered(text.format(title=_title(occurrence), when=when_line(reader.t, occurrence)))


async def render_invite(reader: ToMember, notice: MeetingInvite) -> Rendered | None:
    """An invitation with the buttons to answer."""
    occurrence = await _upcoming(reader, notice.occurrence_id)
    if occurrence is None:
        return None
    answer = await answer_of(reader.session, occurrence.id, reader.member.id)
    text, markup = invitation(reader.t, occurrence, answer)
    return Rendered(text, markup)


async def _changed(reader: ToMember, occurrence_id: int, head: str) -> Rendered | None:
    """A date as it is now under `head`, with the reader's answer and the buttons to change it."""
    occurrence = await _upcoming(reader, occurrence_id)
    if occurrence is None:
        return None
    answer = await answer_of(reader.session, occurrence.id, reader.member.id)
    text = "\n".join([head, card(reader.t, occurrence), "", answer_line(reader.t, answer)])
    return Rendered(text, rsvp_markup(reader.t, occurrence, answer))


async def render_moved(reader: ToMember, notice: MeetingMoved) -> Rendered | None:
    """A date moved to another time."""
    return await _changed(reader, notice.occurrence_id, reader.t.gettext("🔁 <b>Moved</b>"))


async def render_updated(reader: ToMember, notice: MeetingUpdated) -> Rendered | None:
    """A date's details changed."""
    return await _changed(reader, notice.occurrence_id, reader.t.gettext("✏️ <b>Changed</b>"))


async def render_reminder(reader: ToMember, notice: MeetingReminderDue) -> Rendered | None:
    """A reminder, unless its date was moved or cancelled, or has begun, since it was queued."""
    occurrence = await _upcoming(reader, notice.occurrence_id)
    if occurrence is None:
        return None
    reminder = await reader.session.get(MeetingReminder, notice.reminder_id)
    if reminder is None or reminder.status != DueStatus.DONE:
        return None  # moved or cancelled after it was queued
    if reminder.due_at.isoformat() != notice.due_at.isoformat() or occurrence.starts_at <= reader.now:
        log.info("meeting.reminder_dropped row=%s (moved or begun)", reader.row_id)
        return None
    t = reader.t
    lines = [t.gettext("⏰ <b>Reminder</b>")]
    if notice.late:
        late = t.gettext("(Late: the bot could not send this at {time}. Sorry.)")
        lines.append(late.format(time=t.format_moment(reminder.due_at)))
    answer = await answer_of(reader.session, occurrence.id, reader.member.id)
    lines += [card(t, occurrence), "", answer_line(t, answer)]
    return Rendered("\n".join(lines), rsvp_markup(t, occurrence, answer))


async def _action(reader: ToMember, action_id: int, head: str) -> Rendered | None:
    """An action point under `head`, with its done button; skipped once it is done."""
    point = await load_action(reader.session, action_id)
    if point is None or point.done_at is not None:
        return None
    return Rendered(head + "\n" + action_text(reader.t, point), done_markup(reader.t, point))


async def render_action_assigned(reader: ToMember, notice: ActionAssigned) -> Rendered | None:
    """A new action point for the reader or their practice."""
    return await _action(
        reader, notice.action_id, reader.t.gettext("📌 <b>New action point</b> for you or your practice")
    )


async def render_action_due(reader: ToMember, notice: ActionDueSoon) -> Rendered | None:
    """An action point's reminder."""
    return await _action(reader, notice.action_id, reader.t.gettext("⏰ <b>Action point due soon</b>"))


RENDERERS: Renderers = dict(
    [
        for_member(MeetingInvite, render_invite),
        for_member(MeetingIcs, render_ics),
        for_member(MeetingMoved, render_moved),
        for_member(MeetingUpdated, render_updated),
        for_member(MeetingCancelled, render_cancelled),
        for_member(MeetingReminderDue, render_reminder),
        for_member(ActionAssigned, render_action_assigned),
        for_member(ActionDueSoon, render_action_due),
    ]
)
