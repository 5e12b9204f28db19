"""Rendering the notices about meetings and action points, at send time, in the reader's language.

A notice whose reason has gone (the date was cancelled or moved after the reminder was queued, the meeting has
begun, the action point is done) renders to None and is skipped rather than sent.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from html import escape

from bot.i18n import N_, Translator
from bot.services.actions import load_action
from bot.services.calendars import event_of, series_file_of
from bot.services.meetings import Counts, answer_counts, answer_of, load_occurrence_lean
from bot.services.notices import (
    ActionAssigned,
    ActionDone,
    ActionDueSoon,
    MeetingCancelled,
    MeetingGroup,
    MeetingIcs,
    MeetingInvite,
    MeetingMoved,
    MeetingNudge,
    MeetingReminderDue,
    MeetingUninvited,
    MeetingUpdated,
)
from db.meetings import DueStatus, MeetingGroupPost, MeetingOccurrence, MeetingReminder, OccurrenceStatus
from db.models import Member
from handlers.editing import digest
from handlers.meeting_views import (
    AUDIENCE_LABELS,
    action_text,
    answer_line,
    calendar_for,
    card,
    done_markup,
    invitation,
    invitee_counts_line,
    late_note,
    rsvp_markup,
    when_line,
)
from handlers.rendered import Rendered, Renderers, ToGroup, ToMember, for_group, for_member
from handlers.texts import member_name

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
    if occurrence.meeting.one_entry:  # a series is one calendar entry: its file, as it is now
        name, content = await series_file_of(
            reader.session, occurrence.meeting, reader.now, withdrawn=notice.withdrawn
        )
    else:
        event = await event_of(reader.session, occurrence, reader.now)
        name, content = calendar_for(replace(event, cancelled=True) if notice.withdrawn else event, occurrence.id)
    caption = reader.t.gettext("Calendar file for {title}: open it to add it to your calendar, or update it.")
    return Rendered(caption.format(title=_title(occurrence)), document=(name, content))


async def render_uninvited(reader: ToMember, notice: MeetingUninvited) -> Rendered | None:
    """The meeting is no longer for the reader: who it is for changed."""
    occurrence = await load_occurrence_lean(reader.session, notice.occurrence_id)
    if occurrence is None:
        return None
    text = reader.t.gettext(
        "Not for you any more: <b>{title}</b> is now for {who}. The calendar file below takes it out of your calendar."
    )
    who = reader.t.gettext(AUDIENCE_LABELS[occurrence.meeting.audience])
    return Rendered(text.format(title=_title(occurrence), who=who))


async def render_cancelled(reader: ToMember, notice: MeetingCancelled) -> Rendered | None:
    """A date does not take place."""
    occurrence = await load_occurrence_lean(reader.session, notice.occurrence_id)
    if occurrence is None:
        return None
    if occurrence.meeting.one_entry and occurrence.meeting.cancelled_at is not None:
        text = reader.t.gettext("❌ <b>Cancelled</b>: {title}, every date still ahead. The series does not go on.")
        return Rendered(text.format(title=_title(occurrence)))
    text = reader.t.gettext("❌ <b>Cancelled</b>: {title} on {when} does not take place.")
    return Rendered(text.format(title=_title(occurrence), when=when_line(reader.t, occurrence)))


async def render_invite(reader: ToMember, notice: MeetingInvite) -> Rendered | None:
    """An invitation with the buttons to answer."""
    occurrence = await _upcoming(reader, notice.occurrence_id)
    if occurrence is None:
        return None
    answer = await answer_of(reader.session, occurrence.id, reader.member.id)
    text, markup = invitation(reader.t, occurrence, answer, await _counts(reader, occurrence.id))
    return Rendered(text, markup)


async def _counts(reader: ToGroup, occurrence_id: int) -> Counts:
    """How many said yes, no, maybe so far: one GROUP BY, whatever the number invited."""
    return (await answer_counts(reader.session, [occurrence_id])).get(occurrence_id, {})


async def _answerable(reader: ToMember, occurrence: MeetingOccurrence, lines: list[str]) -> Rendered:
    """`lines` followed by the counts, the reader's answer and the buttons to give or change it."""
    answer = await answer_of(reader.session, occurrence.id, reader.member.id)
    counts = invitee_counts_line(reader.t, await _counts(reader, occurrence.id))
    text = "\n".join([*lines, "", counts, answer_line(reader.t, answer)])
    return Rendered(text, rsvp_markup(reader.t, occurrence, answer))


async def _changed(reader: ToMember, occurrence_id: int, head: str) -> Rendered | None:
    """A date as it is now under `head`, with the reader's answer and the buttons to change it."""
    occurrence = await _upcoming(reader, occurrence_id)
    if occurrence is None:
        return None
    return await _answerable(reader, occurrence, [head, card(reader.t, occurrence)])


async def render_moved(reader: ToMember, notice: MeetingMoved) -> Rendered | None:
    """A date moved to another time."""
    return await _changed(reader, notice.occurrence_id, reader.t.gettext("🔁 <b>Moved</b>"))


CHANGED_HEADS = {
    "title": N_("✏️ <b>Changed</b>: new title"),
    "place": N_("✏️ <b>Changed</b>: new place"),
    "link": N_("✏️ <b>Changed</b>: new online link"),
    "agenda": N_("✏️ <b>Changed</b>: new agenda"),
}


async def render_updated(reader: ToMember, notice: MeetingUpdated) -> Rendered | None:
    """A date's details changed: which one, when it was changed from the chat (the card below shows it)."""
    head = CHANGED_HEADS.get(notice.changed or "", N_("✏️ <b>Changed</b>"))
    return await _changed(reader, notice.occurrence_id, reader.t.gettext(head))


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
        lines.append(late_note(t, reminder.due_at, reader.now))
    return await _answerable(reader, occurrence, [*lines, card(t, occurrence)])


async def render_nudge(reader: ToMember, notice: MeetingNudge) -> Rendered | None:
    """Will you come? Skipped for someone who answered since it was queued, or a date no longer ahead."""
    occurrence = await _upcoming(reader, notice.occurrence_id)
    if occurrence is None or occurrence.starts_at <= reader.now:
        return None
    if await answer_of(reader.session, occurrence.id, reader.member.id) is not None:
        return None
    t = reader.t
    by = await reader.session.get(Member, notice.by_member_id) if notice.by_member_id else None
    if by is not None and by.deleted_at is None:
        head = t.gettext("❓ <b>Will you come?</b> {name} asks those who have not answered yet.")
        head = head.format(name=escape(member_name(t, by)))
    else:
        head = t.gettext("❓ <b>Will you come?</b> You have not answered yet.")
    return await _answerable(reader, occurrence, [head, card(t, occurrence, agenda=False)])


def group_text(t: Translator, occurrence: MeetingOccurrence, counts: Counts) -> str:
    """A date as its wijk group sees it: the card, the counts, and where to answer (in the private chat)."""
    if occurrence.status == OccurrenceStatus.CANCELLED:
        head = t.gettext("❌ <b>Cancelled</b>")
    else:
        head = t.gettext("📅 <b>Wijk meeting</b>")
    lines = [head, card(t, occurrence, agenda=False), "", invitee_counts_line(t, counts)]
    if occurrence.status == OccurrenceStatus.SCHEDULED:
        lines.append(t.gettext("Invited? Answer in your private chat with me: /bijeenkomsten"))
    return "\n".join(lines)


async def render_group(reader: ToGroup, notice: MeetingGroup) -> Rendered | None:
    """A date posted in a wijk group, or its post edited to the counts as they are now; skipped when the post
    shows that already (Telegram would refuse the edit, and a group takes few messages a minute)."""
    post = await reader.session.get(MeetingGroupPost, notice.group_post_id)
    occurrence = await load_occurrence_lean(reader.session, notice.occurrence_id)
    if post is None or occurrence is None:
        return None
    if notice.message_id is None and occurrence.status != OccurrenceStatus.SCHEDULED:
        return None  # cancelled before its post went out
    text = group_text(reader.t, occurrence, await _counts(reader, occurrence.id))
    fingerprint = digest(text, None)
    if post.rendered_digest == fingerprint:
        return None
    return Rendered(text, None, notice.message_id, fingerprint, meeting_post_id=post.id)


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


async def render_action_done(reader: ToMember, notice: ActionDone) -> Rendered | None:
    """To whoever recorded the action point, and its meeting's organiser: it is done, and by whom."""
    point = await load_action(reader.session, notice.action_id)
    if point is None or point.done_at is None:
        return None
    marker = await reader.session.get(Member, point.done_by_member_id) if point.done_by_member_id else None
    t = reader.t
    head = t.gettext("✅ <b>Action point done</b>")
    if marker is not None and marker.deleted_at is None:
        head = t.gettext("✅ <b>Action point done</b>, marked by {name}").format(name=escape(member_name(t, marker)))
    return Rendered(head + "\n" + action_text(t, point))


RENDERERS: Renderers = dict(
    [
        for_member(MeetingInvite, render_invite),
        for_member(MeetingIcs, render_ics),
        for_member(MeetingMoved, render_moved),
        for_member(MeetingUpdated, render_updated),
        for_member(MeetingUninvited, render_uninvited),
        for_member(MeetingCancelled, render_cancelled),
        for_member(MeetingReminderDue, render_reminder),
        for_member(MeetingNudge, render_nudge),
        for_group(MeetingGroup, render_group),
        for_member(ActionAssigned, render_action_assigned),
        for_member(ActionDueSoon, render_action_due),
        for_member(ActionDone, render_action_done),
    ]
)
