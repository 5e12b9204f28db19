"""The meeting sweep: plans series ahead, sends due invitations and reminders, each due time handled once.

A due reminder is claimed with a guarded update (pending -> done) in the same transaction that writes its outbox
rows, so a crash either leaves it pending (sent after the restart) or done with its messages queued: never both,
never neither. A reminder found after its meeting began is skipped; one found late is sent marked as late, and
reminders of one date held up together (or a late one and the next, due within the hour) go out as one message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.services.actions import remind_actions_due
from bot.services.meeting_nudges import nudge_due
from bot.services.meetings import invite_due, plan_occurrences
from bot.services.notices import MeetingReminderDue
from bot.services.outbox import enqueue
from db.meetings import (
    Answer,
    DueStatus,
    Meeting,
    MeetingInvitee,
    MeetingOccurrence,
    MeetingReminder,
    OccurrenceStatus,
)

log = logging.getLogger(__name__)

# A reminder handled this long after its due time was held up (the bot was down): it says so.
LATE_AFTER = timedelta(minutes=10)
# A late reminder stands for the next one of its date when that is due this soon: two reminders of one date within
# the hour read as a glitch, not as help.
MERGE_AHEAD = timedelta(hours=1)


@dataclass
class SweepReport:
    """What one sweep did."""

    planned: int = 0
    invited: int = 0
    reminders: int = 0
    skipped: int = 0
    actions: int = 0
    nudged: int = 0

    @property
    def wrote(self) -> bool:
        """Whether anything went into the outbox."""
        return bool(self.invited or self.reminders or self.actions or self.nudged)


async def plan_series(session: AsyncSession, *, now: datetime) -> int:
    """Keep every running series planned a year ahead."""
    meetings = await session.scalars(select(Meeting).where(Meeting.rrule.is_not(None), Meeting.cancelled_at.is_(None)))
    return sum([await plan_occurrences(session, now=now, meeting=meeting) for meeting in list(meetings)])


async def _recipients(session: AsyncSession, occurrence_id: int) -> list[MeetingInvitee]:
    """Everyone invited who has not said no."""
    return list(
        await session.scalars(
            select(MeetingInvitee)
            .where(
                MeetingInvitee.occurrence_id == occurrence_id,
                (MeetingInvitee.answer.is_(None)) | (MeetingInvitee.answer != Answer.NO),
            )
            .options(selectinload(MeetingInvitee.member))
            .order_by(MeetingInvitee.id)
        )
    )


async def _claim(session: AsyncSession, reminder_id: int, status: DueStatus, now: datetime) -> bool:
    """Move one pending reminder to `status`, guarded: False when another sweep handled it first."""
    claimed = await session.execute(
        update(MeetingReminder)
        .where(MeetingReminder.id == reminder_id, MeetingReminder.status == DueStatus.PENDING)
        .values(status=status, handled_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]


async def _next_soon(session: AsyncSession, occurrence_id: int, now: datetime) -> list[MeetingReminder]:
    """The date's pending reminders due within MERGE_AHEAD: a late message now stands for them too."""
    return list(
        await session.scalars(
            select(MeetingReminder)
            .where(
                MeetingReminder.occurrence_id == occurrence_id,
                MeetingReminder.status == DueStatus.PENDING,
                MeetingReminder.due_at <= now + MERGE_AHEAD,
            )
            .with_for_update(skip_locked=True)
        )
    )


def _by_date(due: list[MeetingReminder]) -> dict[int, list[MeetingReminder]]:
    """The due reminders per date, each date's in due order (the query's)."""
    grouped: dict[int, list[MeetingReminder]] = {}
    for reminder in due:
        grouped.setdefault(reminder.occurrence_id, []).append(reminder)
    return grouped


async def remind_due(session: AsyncSession, *, now: datetime, limit: int = 100) -> tuple[int, int]:
    """Queue each due reminder's messages once; returns (reminders sent, reminders skipped). Several reminders of
    one date due at once (the bot was down) go out as one message, the latest of them; a late one also stands
    for the next reminder of its date when that is due within MERGE_AHEAD: one reminder, not two in a row."""
    due = list(
        await session.scalars(
            select(MeetingReminder)
            .where(MeetingReminder.status == DueStatus.PENDING, MeetingReminder.due_at <= now)
            .order_by(MeetingReminder.due_at, MeetingReminder.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    sent = skipped = 0
    for occurrence_id, group in _by_date(due).items():
        occurrence = await session.get(MeetingOccurrence, occurrence_id)
        assert occurrence is not None
        if occurrence.status != OccurrenceStatus.SCHEDULED or occurrence.starts_at <= now:
            for reminder in group:
                if await _claim(session, reminder.id, DueStatus.SKIPPED, now):
                    log.info("meeting.reminder_skipped id=%s occurrence=%s (meeting began)", reminder.id, occurrence_id)
                    skipped += 1
            continue
        *earlier, latest = group
        if not await _claim(session, latest.id, DueStatus.DONE, now):
            continue  # another sweep has this date's reminders
        late = now - latest.due_at > LATE_AFTER
        for reminder in earlier + (await _next_soon(session, occurrence_id, now) if late else []):
            if await _claim(session, reminder.id, DueStatus.MERGED, now):
                log.info("meeting.reminder_merged id=%s into=%s", reminder.id, latest.id)
        if late:
            log.warning("meeting.reminder_late id=%s due=%s", latest.id, latest.due_at.isoformat())
        notice = MeetingReminderDue(occurrence_id=occurrence_id, reminder_id=latest.id, due_at=latest.due_at, late=late)
        for invitee in await _recipients(session, occurrence_id):
            await enqueue(
                session,
                now=now,
                notice=notice,
                chat_id=invitee.member.telegram_user_id,
                member_id=invitee.member_id,
            )
        sent += 1
    return sent, skipped


async def sweep(session: AsyncSession, *, now: datetime) -> SweepReport:
    """Everything due now, in the caller's transaction: plan ahead, invite, remind, remind of action points, ask
    those who have not answered."""
    report = SweepReport()
    report.planned = await plan_series(session, now=now)
    report.invited = await invite_due(session, now=now)
    # Asking those who have not answered comes before the reminders: when both fall due in one pass (the bot was
    # down, or the playground's clock jumped), the reminder, with its agenda, is the last message in the chat.
    report.nudged = await nudge_due(session, now=now)
    report.reminders, report.skipped = await remind_due(session, now=now)
    report.actions = await remind_actions_due(session, now=now)
    return report
