"""Calendar identities and feeds: the installation's id in every UID, the event of an occurrence, and the
personal feed of a member's invitations behind a secret token (only its sha256 is stored).

The .ics file in the chat, the feed and the links all describe a date through `calendar_event`, so a calendar
that got the file and subscribes to the feed sees one event, not two.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from bot.services.ics import CalendarEvent, series_file
from bot.services.meeting_times import series, to_local
from bot.services.meetings import SeriesDates, series_dates
from db.meetings import CalendarFeed, Meeting, MeetingInvitee, MeetingOccurrence, OccurrenceStatus
from db.models import Installation, Member

log = logging.getLogger(__name__)

FEED_AHEAD = timedelta(days=365)
# Dates just past stay a month: a calendar drops what leaves the feed, and yesterday's meeting should not vanish.
FEED_BEHIND = timedelta(days=30)
FEED_MAX_EVENTS = 200
TOKEN_BYTES = 32  # 256 random bits: 43 URL-safe characters


async def installation(session: AsyncSession) -> Installation:
    """The installation's row (migration 0018 makes it; a database built otherwise gets one here, once)."""
    found = await session.get(Installation, 1)
    if found is not None:
        return found
    try:
        async with session.begin_nested():
            session.add(Installation(id=1, uid_id=uuid.uuid4().hex, legacy_uid_below=0))
    except IntegrityError:  # another worker made it first
        pass
    made = await session.get(Installation, 1, populate_existing=True)
    assert made is not None
    return made


def occurrence_uid(found: Installation, occurrence_id: int) -> str:
    """The UID of a date: its id and the installation's id; dates sent before 0018 keep the UID they had."""
    if occurrence_id < found.legacy_uid_below:
        return f"occurrence-{occurrence_id}@wijkhulp"
    return f"occurrence-{occurrence_id}-{found.uid_id}@wijkhulp"


def calendar_event(occurrence: MeetingOccurrence, uid: str, stamp: datetime) -> CalendarEvent:
    """What a calendar needs of a date (its meeting loaded), as it is now."""
    meeting = occurrence.meeting
    zone = ZoneInfo(meeting.timezone)
    return CalendarEvent(
        uid=uid,
        sequence=occurrence.sequence,
        start_local=to_local(occurrence.starts_at, zone),
        end_local=to_local(occurrence.ends_at, zone),
        timezone=meeting.timezone,
        summary=meeting.title,
        location=meeting.location,
        url=meeting.url,
        description=meeting.agenda,
        cancelled=occurrence.status == OccurrenceStatus.CANCELLED,
        stamp=stamp,
    )


async def event_of(session: AsyncSession, occurrence: MeetingOccurrence, stamp: datetime) -> CalendarEvent:
    """The date's event with its UID."""
    return calendar_event(occurrence, occurrence_uid(await installation(session), occurrence.id), stamp)


def token_hash(token: str) -> str:
    """What the database keeps of a feed token."""
    return hashlib.sha256(token.encode()).hexdigest()


async def feed_created_at(session: AsyncSession, member: Member) -> datetime | None:
    """When the member's current feed link was made (None: they have none)."""
    return await session.scalar(select(CalendarFeed.created_at).where(CalendarFeed.member_id == member.id))


async def new_feed(session: AsyncSession, *, now: datetime, member: Member) -> str:
    """A new secret token for the member's feed; it replaces the one before, whose URL then finds nothing."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    feed = await session.scalar(select(CalendarFeed).where(CalendarFeed.member_id == member.id))
    if feed is None:
        session.add(CalendarFeed(member_id=member.id, token_hash=token_hash(token), created_at=now))
    else:
        feed.token_hash, feed.created_at = token_hash(token), now
    await session.flush()
    log.info("calendar_feed.new member=%s replaced=%s", member.id, feed is not None)
    return token


async def revoke_feed(session: AsyncSession, *, member: Member) -> bool:
    """Stop the member's feed; False if there was none."""
    result = await session.execute(delete(CalendarFeed).where(CalendarFeed.member_id == member.id))
    stopped = bool(result.rowcount)  # type: ignore[attr-defined]
    log.info("calendar_feed.revoked member=%s stopped=%s", member.id, stopped)
    return stopped


async def feed_events(session: AsyncSession, token: str, *, now: datetime) -> list[CalendarEvent] | None:
    """The events of the feed behind `token` (None: no such feed): the member's invitations from a month ago to
    a year ahead, at most FEED_MAX_EVENTS, cancelled ones included; three queries however many there are."""
    member_id = await session.scalar(
        select(CalendarFeed.member_id)
        .join(Member, Member.id == CalendarFeed.member_id)
        .where(CalendarFeed.token_hash == token_hash(token), Member.deleted_at.is_(None))
    )
    if member_id is None:
        return None
    occurrences = await session.scalars(
        select(MeetingOccurrence)
        .join(MeetingInvitee, MeetingInvitee.occurrence_id == MeetingOccurrence.id)
        .where(
            MeetingInvitee.member_id == member_id,
            MeetingOccurrence.ends_at > now - FEED_BEHIND,
            MeetingOccurrence.starts_at < now + FEED_AHEAD,
        )
        .options(joinedload(MeetingOccurrence.meeting))
        .order_by(MeetingOccurrence.starts_at)
        .limit(FEED_MAX_EVENTS)
    )
    found = await installation(session)
    events: list[CalendarEvent] = []
    series: set[int] = set()
    for occurrence in occurrences:
        meeting = occurrence.meeting
        if not meeting.one_entry:
            events.append(calendar_event(occurrence, occurrence_uid(found, occurrence.id), now))
        elif meeting.id not in series:  # a series is one entry, as in its .ics file: the rule and its exceptions
            series.add(meeting.id)
            master, moved = series_events(meeting, await series_dates(session, meeting, now), found, now)
            events += [master, *moved]
    return events


def series_uid(found: Installation, meeting_id: int) -> str:
    """The UID of a series' one calendar entry."""
    return f"meeting-{meeting_id}-{found.uid_id}@wijkhulp"


def series_events(
    meeting: Meeting, dates: SeriesDates, found: Installation, stamp: datetime
) -> tuple[CalendarEvent, list[CalendarEvent]]:
    """A series as calendars hold it: the entry from its first date with the rule and the dates cancelled from
    it (EXDATE), and an event for each date moved away from where the rule puts it (RECURRENCE-ID)."""
    assert meeting.rrule is not None
    zone = ZoneInfo(meeting.timezone)
    length = timedelta(minutes=meeting.duration_minutes)
    uid = series_uid(found, meeting.id)
    last = max((d.position for d in dates.changed), default=0)
    ruled = dict(enumerate(series(meeting.start_local, meeting.rrule, until_local=datetime.max, limit=last + 1)))
    cancelled: list[datetime] = []
    moved: list[CalendarEvent] = []
    for occurrence in dates.changed:
        original = ruled.get(occurrence.position)
        if original is None:
            continue  # no longer a date of the rule: nothing to drop from it
        start, end = to_local(occurrence.starts_at, zone), to_local(occurrence.ends_at, zone)
        if occurrence.status == OccurrenceStatus.CANCELLED:
            cancelled.append(original)
        elif start != original or end - start != length:
            moved.append(_meeting_event(meeting, uid, dates.sequence, start, end, stamp, recurrence_id=original))
    master = _meeting_event(
        meeting, uid, dates.sequence, meeting.start_local, meeting.start_local + length, stamp, rrule=meeting.rrule
    )
    return replace(master, exdates=tuple(cancelled), cancelled=meeting.cancelled_at is not None), moved


def _meeting_event(
    meeting: Meeting,
    uid: str,
    sequence: int,
    start: datetime,
    end: datetime,
    stamp: datetime,
    *,
    rrule: str | None = None,
    recurrence_id: datetime | None = None,
) -> CalendarEvent:
    return CalendarEvent(
        uid=uid,
        sequence=sequence,
        start_local=start,
        end_local=end,
        timezone=meeting.timezone,
        summary=meeting.title,
        location=meeting.location,
        url=meeting.url,
        description=meeting.agenda,
        cancelled=False,
        stamp=stamp,
        rrule=rrule,
        recurrence_id=recurrence_id,
    )


async def series_file_of(
    session: AsyncSession, meeting: Meeting, now: datetime, *, withdrawn: bool = False
) -> tuple[str, bytes]:
    """A series' .ics file as it is now (`withdrawn`: cancelled, for a reader no longer invited), and its name."""
    master, moved = series_events(meeting, await series_dates(session, meeting, now), await installation(session), now)
    if withdrawn:
        master = replace(master, cancelled=True)
    return f"wijkbijeenkomst-reeks-{meeting.id}.ics", series_file(master, moved)
