"""One reminder to those who have not answered a meeting date: automatically, three days before at 10:00 (half-way
between the invitation and the date when it was planned later), never at night; and when the organiser asks, at
most once a day per date.

Both are recorded on the date in the transaction that queues the messages (`nudged_at`, `nudged_on`), with a
guarded update, so a restart or a second worker never sends one twice; the messages themselves are at-most-once
outbox rows (a second "will you come?" nags).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from bot.services.meeting_times import to_local, to_utc
from bot.services.notices import MeetingNudge
from bot.services.outbox import enqueue
from db.meetings import MeetingInvitee, MeetingOccurrence, OccurrenceStatus
from db.models import Member

log = logging.getLogger(__name__)

DAYS_BEFORE = 3
AT = time(10, 0)
DAY_STARTS, DAY_ENDS = time(8, 0), time(21, 0)  # local: nobody is asked at night
ANSWER_TIME = timedelta(days=1)  # the 3-day time is used only if people had at least this long to answer first
LAST_USEFUL = timedelta(hours=2)  # later than this before the start, asking is no use any more
LOOK_AHEAD = timedelta(days=DAYS_BEFORE + 2)  # the sweep only looks at dates this close


def is_daytime(moment: datetime, zone: ZoneInfo) -> bool:
    """Whether it is between 08:00 and 21:00 where the meeting is."""
    return DAY_STARTS <= to_local(moment, zone).time() < DAY_ENDS


def next_daytime(moment: datetime, zone: ZoneInfo) -> datetime:
    """The moment itself by day; at night, the next 08:00."""
    if is_daytime(moment, zone):
        return moment
    local = to_local(moment, zone)
    day = local.date() if local.time() < DAY_STARTS else local.date() + timedelta(days=1)
    return to_utc(datetime.combine(day, DAY_STARTS), zone)


def nudge_time(starts_at: datetime, invited_at: datetime, zone: ZoneInfo) -> datetime | None:
    """When the automatic reminder is due: three days before at 10:00, or, for a date invited later than a day
    before that, half-way between the invitation and the start (moved out of the night); None when that leaves
    no useful time before the start."""
    local_day = to_local(starts_at, zone).date() - timedelta(days=DAYS_BEFORE)
    due = to_utc(datetime.combine(local_day, AT), zone)
    if due < invited_at + ANSWER_TIME:
        due = next_daytime(invited_at + (starts_at - invited_at) / 2, zone)
    return due if due <= starts_at - LAST_USEFUL else None


async def non_responders(session: AsyncSession, occurrence_id: int) -> list[MeetingInvitee]:
    """Those invited to the date who have not answered, with their member (the organiser is recorded as
    coming, so never among them)."""
    return list(
        await session.scalars(
            select(MeetingInvitee)
            .where(MeetingInvitee.occurrence_id == occurrence_id, MeetingInvitee.answer.is_(None))
            .options(selectinload(MeetingInvitee.member))
            .order_by(MeetingInvitee.id)
        )
    )


async def _queue(
    session: AsyncSession, *, now: datetime, occurrence: MeetingOccurrence, by: Member | None, zone: ZoneInfo
) -> int:
    """One at-most-once nudge to each non-responder, held until morning if it is night; returns how many."""
    invitees = await non_responders(session, occurrence.id)
    notice = MeetingNudge(occurrence_id=occurrence.id, by_member_id=by.id if by else None)
    due = next_daytime(now, zone)
    for invitee in invitees:
        chat_id = invitee.member.telegram_user_id
        await enqueue(session, now=now, notice=notice, chat_id=chat_id, member_id=invitee.member_id, due_at=due)
    return len(invitees)


async def nudge_due(session: AsyncSession, *, now: datetime) -> int:
    """The automatic reminders whose time has come, by day only, each date once; returns how many dates."""
    occurrences = list(
        await session.scalars(
            select(MeetingOccurrence)
            .where(
                MeetingOccurrence.status == OccurrenceStatus.SCHEDULED,
                MeetingOccurrence.invited_at.is_not(None),
                MeetingOccurrence.nudged_at.is_(None),
                MeetingOccurrence.starts_at > now + LAST_USEFUL,
                MeetingOccurrence.starts_at <= now + LOOK_AHEAD,
            )
            .options(joinedload(MeetingOccurrence.meeting))
            .order_by(MeetingOccurrence.starts_at)
        )
    )
    done = 0
    for occurrence in occurrences:
        zone = ZoneInfo(occurrence.meeting.timezone)
        assert occurrence.invited_at is not None
        due = nudge_time(occurrence.starts_at, occurrence.invited_at, zone)
        if not occurrence.meeting.reminder_minutes:
            continue  # planned with "no reminders": the organiser's button still asks, nothing asks by itself
        if due is None or due > now or not is_daytime(now, zone):
            continue
        claimed = await session.execute(
            update(MeetingOccurrence)
            .where(MeetingOccurrence.id == occurrence.id, MeetingOccurrence.nudged_at.is_(None))
            .values(nudged_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        if occurrence.meeting.one_entry and occurrence.position > 0:
            # A series is answered from its one invitation and each date's reminder; asking again for every
            # week's date would nag those who said yes to the series. Its first date is asked, as any date.
            log.info("meeting.nudge_skipped occurrence=%s (a later date of a series)", occurrence.id)
            continue
        yesterday = to_local(now, zone).date() - timedelta(days=1)
        if occurrence.nudged_on is not None and occurrence.nudged_on >= yesterday:
            log.info("meeting.nudge_skipped occurrence=%s (the organiser asked recently)", occurrence.id)
            continue
        count = await _queue(session, now=now, occurrence=occurrence, by=None, zone=zone)
        log.info("meeting.nudged occurrence=%s count=%s", occurrence.id, count)
        done += 1
    return done


@dataclass(frozen=True)
class Nudged:
    """What the organiser's button did: "ok" (with how many are asked, and whether only in the morning),
    "nobody" (everyone answered), "already_today", or "not_scheduled" (cancelled, begun)."""

    outcome: str
    count: int = 0
    morning: bool = False  # asked at night: the messages wait for 08:00


async def nudge_now(session: AsyncSession, *, now: datetime, member: Member, occurrence: MeetingOccurrence) -> Nudged:
    """The organiser's "remind those who have not answered", once a local day per date (a guarded update)."""
    zone = ZoneInfo(occurrence.meeting.timezone)
    if occurrence.status != OccurrenceStatus.SCHEDULED or occurrence.starts_at <= now:
        return Nudged("not_scheduled")
    today = to_local(now, zone).date()
    if occurrence.nudged_on == today:
        return Nudged("already_today")
    if not await non_responders(session, occurrence.id):
        return Nudged("nobody")
    claimed = await session.execute(
        update(MeetingOccurrence)
        .where(
            MeetingOccurrence.id == occurrence.id,
            MeetingOccurrence.nudged_on.is_(None) | (MeetingOccurrence.nudged_on != today),
        )
        .values(nudged_on=today)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return Nudged("already_today")  # a double tap, handled side by side
    count = await _queue(session, now=now, occurrence=occurrence, by=member, zone=zone)
    log.info("meeting.nudged occurrence=%s count=%s by=%s", occurrence.id, count, member.id)
    return Nudged("ok", count, morning=not is_daytime(now, zone))
