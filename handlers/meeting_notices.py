"""Rendering the outbox rows of meetings and action points, at send time, in the reader's language.

A row whose reason has gone (the date was cancelled or moved after the reminder was queued, the meeting has
begun, the action point is done) renders to None and is skipped rather than sent.
"""

from __future__ import annotations

import logging
from datetime import datetime
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from bot.runtime import Runtime
from bot.services.actions import load_action
from bot.services.meetings import load_occurrence
from bot.services.outbox import Claimed
from db.meetings import DueStatus, MeetingOccurrence, MeetingReminder, OccurrenceStatus
from db.models import Member
from handlers.meeting_views import (
    action_text,
    answer_line,
    calendar_for,
    card,
    done_markup,
    invitation,
    my_answer,
    rsvp_markup,
    when_line,
)
from handlers.rendered import Rendered

log = logging.getLogger(__name__)

MEETING_KINDS = ("meeting.", "action.")


async def render_meeting(
    session: AsyncSession, row: Claimed, runtime: Runtime, member: Member, t: Translator
) -> Rendered | None:
    """Text, buttons or file for one meeting or action-point row; None when it is no longer worth sending."""
    now = runtime.clock.now()
    if row.kind.startswith("action."):
        return await _render_action(session, row, t)
    occurrence = await load_occurrence(session, row.params.get("occurrence_id"))
    if occurrence is None:
        return None
    scheduled = occurrence.status == OccurrenceStatus.SCHEDULED.value
    if row.kind == "meeting.ics":
        name, content = calendar_for(occurrence, now)
        caption = t.gettext("Calendar file for {title}: open it to add it to your calendar, or update it.")
        return Rendered(caption.format(title=_title(occurrence)), document=(name, content))
    if row.kind == "meeting.cancelled":
        text = t.gettext("❌ <b>Cancelled</b>: {title} on {when} does not take place.")
        return Rendered(text.format(title=_title(occurrence), when=when_line(t, occurrence)))
    if not scheduled or occurrence.ends_at <= now:
        return None  # cancelled or over since this was queued; the cancel notice says what there is to say
    if row.kind == "meeting.invite":
        text, markup = invitation(t, occurrence, member)
        return Rendered(text, markup)
    answer = my_answer(occurrence, member)
    if row.kind in ("meeting.moved", "meeting.updated"):
        head = t.gettext("🔁 <b>Moved</b>") if row.kind == "meeting.moved" else t.gettext("✏️ <b>Changed</b>")
        text = "\n".join([head, card(t, occurrence), "", answer_line(t, answer)])
        return Rendered(text, rsvp_markup(t, occurrence, answer))
    if row.kind == "meeting.reminder":
        return await _render_reminder(session, row, now, t, occurrence, answer)
    log.error("outbox row %s has unknown kind %s", row.id, row.kind)
    return None


def _title(occurrence: MeetingOccurrence) -> str:
    return escape(occurrence.meeting.title)


async def _render_reminder(
    session: AsyncSession,
    row: Claimed,
    now: datetime,
    t: Translator,
    occurrence: MeetingOccurrence,
    answer: str | None,
) -> Rendered | None:
    reminder = await session.get(MeetingReminder, row.params.get("reminder_id"))
    if reminder is None or reminder.status != DueStatus.DONE.value:
        return None  # moved or cancelled after it was queued
    if reminder.due_at.isoformat() != row.params.get("due_at") or occurrence.starts_at <= now:
        log.info("meeting.reminder_dropped row=%s (moved or begun)", row.id)
        return None
    lines = [t.gettext("⏰ <b>Reminder</b>")]
    if row.params.get("late"):
        lines.append(
            t.gettext("(Late: the bot could not send this at {time}. Sorry.)").format(
                time=t.format_moment(reminder.due_at)
            )
        )
    lines += [card(t, occurrence), "", answer_line(t, answer)]
    return Rendered("\n".join(lines), rsvp_markup(t, occurrence, answer))


async def _render_action(session: AsyncSession, row: Claimed, t: Translator) -> Rendered | None:
    point = await load_action(session, row.params.get("action_id"))
    if point is None or point.done_at is not None:
        return None
    if row.kind == "action.assigned":
        head = t.gettext("📌 <b>New action point</b> for you or your practice")
    else:
        head = t.gettext("⏰ <b>Action point due soon</b>")
    return Rendered(head + "\n" + action_text(t, point), done_markup(t, point))
