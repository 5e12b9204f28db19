"""The meeting sweep: plans series ahead, sends due invitations and reminders, each due time handled once.

A due reminder is claimed with a guarded update (pending -> done) in the same transaction that writes its outbox
rows, so a crash either leaves it pending (sent after the restart) or done with its messages queued: never both,
never neither. A reminder found after its meeting began is skipped; one found late is sent marked as late.
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


async def remind_due(session: AsyncSession, *, now: datetime, limit: int = 100) -> tuple[int, int]:
    """Queue each due reminder's messages once; returns (reminders sent, reminders skipped)."""
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
    for reminder in due:
        occurrence = await session.get(MeetingOccurrence, reminder.occurrence_id)
        assert occurrence is not None
        useless = occurrence.status != OccurrenceStatus.SCHEDULED or occurrence.starts_at <= now
        status = DueStatus.SKIPPED if useless else DueStatus.DONE
        claimed = await session.execute(
            update(MeetingReminder)
            .where(MeetingReminder.id == reminder.id, MeetingReminder.status == DueStatus.PENDING)
            .values(status=status, handled_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        if useless:
            log.info("meeting.reminder_skipped id=%s occurrence=%s (meeting began)", reminder.id, occurrence.id)
            skipped += 1
            continue
        late = now - reminder.due_at > LATE_AFTER
        if late:
            log.warning("meeting.reminder_late id=%s due=%s", reminder.id, reminder.due_at.isoformat())
        notice = MeetingReminderDue(
            occurrence_id=occurrence.id, reminder_id=reminder.id, due_at=reminder.due_at, late=late
        )
        for invitee in await _recipients(session, occurrence.id):
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
