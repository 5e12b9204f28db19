"""Changing a meeting after its invitations went out: move or cancel a date, or a re-imported schedule.

Every change raises the occurrence's SEQUENCE (so calendars replace the entry), tells every invitee with a fresh
.ics, and moves or drops the reminders, all in the transaction that makes the change.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.services.meeting_groups import refresh_group_posts
from bot.services.meeting_times import HORIZON, series, to_utc
from bot.services.meetings import (
    INVITE_AHEAD,
    MeetingError,
    MeetingSpec,
    check_spec,
    invite_due,
    invite_members,
    load_occurrence,
    notify,
    plan_occurrences,
    reminder_rows,
)
from bot.services.meetings import audience as audience_of
from bot.services.notices import MeetingCancelled, MeetingIcs, MeetingMoved, MeetingUninvited, MeetingUpdated, Notice
from bot.services.outbox import enqueue
from db.meetings import (
    Audience,
    DueStatus,
    Meeting,
    MeetingInvitee,
    MeetingOccurrence,
    MeetingReminder,
    OccurrenceStatus,
)
from db.models import Member, Wijk

log = logging.getLogger(__name__)


async def _tell_invitees(session: AsyncSession, *, now: datetime, occurrence: MeetingOccurrence, notice: Notice) -> int:
    """Queue the notice and the new .ics for everyone invited; nobody was invited yet means nothing to tell."""
    loaded = await load_occurrence(session, occurrence.id)
    assert loaded is not None
    for invitee in loaded.invitees:
        await notify(session, now=now, notice=notice, invitee=invitee, chat_id=invitee.member.telegram_user_id)
    await refresh_group_posts(session, now=now, occurrence_id=occurrence.id, delay=timedelta(0))
    return len(loaded.invitees)


async def upcoming_dates(session: AsyncSession, meeting_id: int, now: datetime) -> list[int]:
    """The ids of a meeting's dates that still take place and have not ended."""
    found = await session.scalars(
        select(MeetingOccurrence.id).where(
            MeetingOccurrence.meeting_id == meeting_id,
            MeetingOccurrence.status == OccurrenceStatus.SCHEDULED,
            MeetingOccurrence.ends_at > now,
        )
    )
    return list(found)


async def _tell_series(
    session: AsyncSession,
    *,
    now: datetime,
    meeting: Meeting,
    notice: Callable[[int], Notice],
    scheduled_only: bool = True,
) -> int:
    """Everyone invited to a date of the series still ahead is told once (about the first such date that still
    takes place, whose card the notice shows; any, for the series' cancellation), followed by the series' calendar
    file; returns how many (grouped in SQL: one row per person)."""
    ahead = [MeetingOccurrence.meeting_id == meeting.id, MeetingOccurrence.ends_at > now]
    if scheduled_only:
        ahead.append(MeetingOccurrence.status == OccurrenceStatus.SCHEDULED)
    rows = await session.execute(
        select(MeetingInvitee.member_id, func.min(MeetingInvitee.occurrence_id), Member.telegram_user_id)
        .join(MeetingOccurrence, MeetingOccurrence.id == MeetingInvitee.occurrence_id)
        .join(Member, Member.id == MeetingInvitee.member_id)
        .where(*ahead)
        .group_by(MeetingInvitee.member_id, Member.telegram_user_id)
    )
    told = 0
    for member_id, first, chat_id in rows.all():
        await enqueue(session, now=now, notice=notice(first), chat_id=chat_id, member_id=member_id)
        await enqueue(session, now=now, notice=MeetingIcs(occurrence_id=first), chat_id=chat_id, member_id=member_id)
        told += 1
    return told


async def _rearm_reminders(
    session: AsyncSession, *, now: datetime, occurrence: MeetingOccurrence, minutes: list[int], zone: ZoneInfo
) -> None:
    """Reminders follow the date's time and the meeting's offsets. A reminder whose due time is unchanged is
    left alone (sent stays sent, overdue stays due to go out late); one that moves is due again at its new
    time (each person gets it once for the date they will attend); offsets no longer wanted are cancelled."""
    old = list(await session.scalars(select(MeetingReminder).where(MeetingReminder.occurrence_id == occurrence.id)))
    by_offset = {row.offset_minutes: row for row in old}
    wanted = set(minutes)
    for stale in old:
        if stale.offset_minutes not in wanted and stale.status == DueStatus.PENDING:
            stale.status, stale.handled_at = DueStatus.CANCELLED, now
    for fresh in reminder_rows(occurrence, minutes, now, zone):
        row = by_offset.get(fresh.offset_minutes)
        if row is None:
            session.add(fresh)
        elif row.due_at != fresh.due_at:
            row.due_at, row.status, row.handled_at = fresh.due_at, fresh.status, None
    await session.flush()


async def move_occurrence(
    session: AsyncSession,
    *,
    now: datetime,
    actor: Member | None,
    occurrence: MeetingOccurrence,
    start_local: datetime,
    duration_minutes: int,
    tell: bool = True,
) -> int:
    """Move one date; returns how many invitees are told. Answers are kept: the notice lets people change them.
    Without `tell` nobody is (a re-imported series: its people are told once, by the caller)."""
    meeting = occurrence.meeting
    if occurrence.status != OccurrenceStatus.SCHEDULED or occurrence.ends_at <= now:
        raise MeetingError("not_scheduled")
    zone = ZoneInfo(meeting.timezone)
    starts = to_utc(start_local, zone)
    if starts <= now:
        raise MeetingError("in_past")
    occurrence.start_local = start_local
    occurrence.starts_at = starts
    occurrence.ends_at = to_utc(start_local + timedelta(minutes=duration_minutes), zone)
    occurrence.sequence += 1
    occurrence.invite_at = starts - INVITE_AHEAD
    await session.flush()
    await _rearm_reminders(session, now=now, occurrence=occurrence, minutes=meeting.reminder_minutes, zone=zone)
    told = 0
    if occurrence.invited_at is not None and tell:
        told = await _tell_invitees(
            session, now=now, occurrence=occurrence, notice=MeetingMoved(occurrence_id=occurrence.id)
        )
    elif occurrence.invited_at is not None:
        await refresh_group_posts(session, now=now, occurrence_id=occurrence.id, delay=timedelta(0))
    else:
        await invite_due(session, now=now, meeting_id=meeting.id)
    await audit.record(
        session,
        at=now,
        action="meeting.moved",
        region_id=meeting.region_id,
        actor_member_id=actor.id if actor else None,
        subject_type="meeting_occurrence",
        subject_id=occurrence.id,
        details={"sequence": occurrence.sequence, "told": told},
    )
    return told


async def cancel_occurrence(
    session: AsyncSession, *, now: datetime, actor: Member | None, occurrence: MeetingOccurrence, tell: bool = True
) -> int:
    """Cancel one date (guarded, so twice is once); returns how many invitees are told (METHOD:CANCEL). Without
    `tell` nobody is (a whole series is cancelled: its people are told once, by the caller)."""
    changed = await session.execute(
        update(MeetingOccurrence)
        .where(
            MeetingOccurrence.id == occurrence.id,
            MeetingOccurrence.status == OccurrenceStatus.SCHEDULED,
            MeetingOccurrence.ends_at > now,
        )
        .values(status=OccurrenceStatus.CANCELLED, sequence=MeetingOccurrence.sequence + 1)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise MeetingError("not_scheduled")
    await session.execute(
        update(MeetingReminder)
        .where(MeetingReminder.occurrence_id == occurrence.id, MeetingReminder.status == DueStatus.PENDING)
        .values(status=DueStatus.CANCELLED, handled_at=now)
    )
    told = 0
    if occurrence.invited_at is not None and tell:
        told = await _tell_invitees(
            session, now=now, occurrence=occurrence, notice=MeetingCancelled(occurrence_id=occurrence.id)
        )
    elif occurrence.invited_at is not None:  # its people are told once for the series; its group posts now
        await refresh_group_posts(session, now=now, occurrence_id=occurrence.id, delay=timedelta(0))
    await audit.record(
        session,
        at=now,
        action="meeting.cancelled",
        region_id=occurrence.meeting.region_id,
        actor_member_id=actor.id if actor else None,
        subject_type="meeting_occurrence",
        subject_id=occurrence.id,
        details={"told": told},
    )
    return told


# The spec fields copied onto the meeting as they are; wijken and reminder offsets are lists, compared apart.
_DETAIL_FIELDS = ("title", "location", "url", "agenda", "audience", "whole_region")
_TIME_FIELDS = ("start_local", "duration_minutes")


def _any_differs(meeting: Meeting, spec: MeetingSpec, fields: tuple[str, ...]) -> bool:
    return any(getattr(meeting, field) != getattr(spec, field) for field in fields)


def _differences(meeting: Meeting, spec: MeetingSpec, wijken: list[Wijk]) -> tuple[bool, bool]:
    """(details changed, times changed) between a stored meeting and its re-imported spec."""
    details = (
        _any_differs(meeting, spec, _DETAIL_FIELDS)
        or sorted(w.id for w in meeting.wijken) != sorted(w.id for w in wijken)
        or list(meeting.reminder_minutes) != list(spec.reminder_minutes)
    )
    times = _any_differs(meeting, spec, _TIME_FIELDS) or (meeting.rrule or None) != (spec.rrule or None)
    return details, times


async def _spec_wijken(session: AsyncSession, spec: MeetingSpec) -> list[Wijk]:
    return [] if spec.whole_region else list(await session.scalars(select(Wijk).where(Wijk.id.in_(spec.wijk_ids))))


async def meeting_differs(session: AsyncSession, meeting: Meeting, spec: MeetingSpec) -> bool:
    """Whether re-importing `spec` would change the stored meeting (the check before any change is made)."""
    await session.refresh(meeting, ["wijken"])
    return any(_differences(meeting, spec, await _spec_wijken(session, spec)))


async def update_meeting(session: AsyncSession, *, now: datetime, meeting: Meeting, spec: MeetingSpec) -> bool:
    """Bring an imported meeting in line with its file entry; False if nothing changed. Upcoming dates that
    moved are moved, dates no longer in the series are cancelled, new ones planned, and invitees told."""
    wijken = await _spec_wijken(session, spec)
    details, times = _differences(meeting, spec, wijken)
    if not details and not times:
        return False
    old_audience = meeting.audience
    for field in (*_DETAIL_FIELDS, *_TIME_FIELDS, "rrule"):
        setattr(meeting, field, getattr(spec, field))
    meeting.audience = old_audience  # a new audience is applied below, inviting and uninviting
    each = not meeting.one_entry  # a series' people are told once, at the end
    meeting.wijken = wijken
    meeting.reminder_minutes = list(spec.reminder_minutes)
    await session.flush()
    upcoming = list(
        await session.scalars(
            select(MeetingOccurrence).where(
                MeetingOccurrence.meeting_id == meeting.id,
                MeetingOccurrence.status == OccurrenceStatus.SCHEDULED,
                MeetingOccurrence.starts_at > now,
            )
        )
    )
    zone = ZoneInfo(meeting.timezone)
    if times:
        # Re-plan from scratch by position: moved dates are moved, dropped dates cancelled, new dates planned.
        until = (now + HORIZON).astimezone(zone).replace(tzinfo=None)
        wanted = dict(enumerate(series(meeting.start_local, meeting.rrule, until_local=until)))
        for occurrence in upcoming:
            local = wanted.get(occurrence.position)
            full = await load_occurrence(session, occurrence.id)
            assert full is not None
            if local is None or to_utc(local, zone) <= now:
                await cancel_occurrence(session, now=now, actor=None, occurrence=full, tell=each)
            elif local != occurrence.start_local or full.ends_at - full.starts_at != timedelta(
                minutes=meeting.duration_minutes
            ):
                await move_occurrence(
                    session,
                    now=now,
                    actor=None,
                    occurrence=full,
                    start_local=local,
                    duration_minutes=meeting.duration_minutes,
                    tell=each,
                )
            else:  # the date stays: its reminders follow the (maybe new) offsets; a notice only if details changed
                await _rearm_reminders(session, now=now, occurrence=full, minutes=meeting.reminder_minutes, zone=zone)
                if details:
                    await _changed_details(session, now=now, occurrence=full, tell=each)
        await plan_occurrences(session, now=now, meeting=meeting)
    else:
        for occurrence in upcoming:
            full = await load_occurrence(session, occurrence.id)
            assert full is not None
            await _rearm_reminders(session, now=now, occurrence=full, minutes=meeting.reminder_minutes, zone=zone)
            await _changed_details(session, now=now, occurrence=full, tell=each)
    if not each:
        await _tell_series(session, now=now, meeting=meeting, notice=lambda first: MeetingUpdated(occurrence_id=first))
    if spec.audience != old_audience:
        await change_audience(session, now=now, actor=None, meeting=meeting, audience=spec.audience)
    await invite_due(session, now=now, meeting_id=meeting.id)
    return True


async def _changed_details(
    session: AsyncSession, *, now: datetime, occurrence: MeetingOccurrence, tell: bool = True
) -> None:
    """Title, place, link or agenda changed: a new SEQUENCE and a notice for those already invited (not `tell`:
    the caller tells a series' people once)."""
    occurrence.sequence += 1
    await session.flush()
    if occurrence.invited_at is not None and tell:
        await _tell_invitees(
            session, now=now, occurrence=occurrence, notice=MeetingUpdated(occurrence_id=occurrence.id)
        )
    elif occurrence.invited_at is not None:
        await refresh_group_posts(session, now=now, occurrence_id=occurrence.id, delay=timedelta(0))


class Detail(enum.StrEnum):
    """What of a meeting can be changed from the chat, one at a time (the times: move a date)."""

    TITLE = "title"
    PLACE = "place"
    LINK = "link"
    AGENDA = "agenda"


_DETAIL_ATTRIBUTES = {Detail.TITLE: "title", Detail.PLACE: "location", Detail.LINK: "url", Detail.AGENDA: "agenda"}


async def change_detail(
    session: AsyncSession, *, now: datetime, actor: Member | None, meeting: Meeting, detail: Detail, value: str | None
) -> int:
    """Change the title, place, link or agenda of a meeting (every date of a series), checked as when planning;
    every upcoming date's SEQUENCE goes up and everyone already invited is told what changed, with a new
    calendar file. Returns how many messages of that kind were queued (one per invitee and date)."""
    if meeting.cancelled_at is not None:
        raise MeetingError("not_scheduled")
    zone = ZoneInfo(meeting.timezone)
    attribute = _DETAIL_ATTRIBUTES[detail]
    spec = MeetingSpec(
        title=meeting.title,
        start_local=meeting.start_local,
        duration_minutes=meeting.duration_minutes,
        wijk_ids=[wijk.id for wijk in meeting.wijken],
        whole_region=meeting.whole_region,
        location=meeting.location,
        url=meeting.url,
        agenda=meeting.agenda,
    )
    setattr(spec, attribute, value)
    checked = check_spec(spec, today=now.astimezone(zone).date())
    new_value = getattr(checked, attribute)
    if getattr(meeting, attribute) == new_value:
        return 0
    setattr(meeting, attribute, new_value)
    await session.flush()
    upcoming = await upcoming_dates(session, meeting.id, now)
    told = 0
    for occurrence_id in upcoming:
        occurrence = await load_occurrence(session, occurrence_id)
        assert occurrence is not None
        occurrence.sequence += 1
        if occurrence.invited_at is not None and not meeting.one_entry:
            notice = MeetingUpdated(occurrence_id=occurrence.id, changed=detail.value)
            told += await _tell_invitees(session, now=now, occurrence=occurrence, notice=notice)
        elif occurrence.invited_at is not None:
            await refresh_group_posts(session, now=now, occurrence_id=occurrence.id, delay=timedelta(0))
    await session.flush()
    if meeting.one_entry:  # a series is one calendar entry: each person is told once, with the series' file
        told = await _tell_series(
            session,
            now=now,
            meeting=meeting,
            notice=lambda first: MeetingUpdated(occurrence_id=first, changed=detail.value),
        )
    await audit.record(
        session,
        at=now,
        action="meeting.changed",
        region_id=meeting.region_id,
        actor_member_id=actor.id if actor else None,
        subject_type="meeting",
        subject_id=meeting.id,
        details={"detail": detail.value, "told": told},
    )
    return told


async def cancel_meeting(session: AsyncSession, *, now: datetime, actor: Member | None, meeting: Meeting) -> int:
    """Cancel a meeting, every date of a series still ahead: no new dates are planned, each upcoming date is
    cancelled as one date is (invitees told, with a cancelling calendar file). Returns how many were told."""
    cancelled = await session.execute(
        update(Meeting)
        .where(Meeting.id == meeting.id, Meeting.cancelled_at.is_(None))
        .values(cancelled_at=now)
        .execution_options(synchronize_session=False)
    )
    if cancelled.rowcount != 1:  # type: ignore[attr-defined]
        raise MeetingError("not_scheduled")
    meeting.cancelled_at = now
    upcoming = await upcoming_dates(session, meeting.id, now)
    told = 0
    series_at_once = meeting.one_entry
    for occurrence_id in upcoming:
        occurrence = await load_occurrence(session, occurrence_id)
        assert occurrence is not None
        told += await cancel_occurrence(session, now=now, actor=actor, occurrence=occurrence, tell=not series_at_once)
    if series_at_once:  # one message each, with the series' file cancelling the whole entry
        told = await _tell_series(
            session,
            now=now,
            meeting=meeting,
            notice=lambda first: MeetingCancelled(occurrence_id=first),
            scheduled_only=False,
        )
    await audit.record(
        session,
        at=now,
        action="meeting.cancelled_all",
        region_id=meeting.region_id,
        actor_member_id=actor.id if actor else None,
        subject_type="meeting",
        subject_id=meeting.id,
        details={"told": told},
    )
    return told


async def change_audience(
    session: AsyncSession, *, now: datetime, actor: Member | None, meeting: Meeting, audience: Audience
) -> tuple[int, int]:
    """Who a meeting is for: everyone in its wijken, or the practice holders and managers. On every date still
    ahead whose invitations went out, people who are in it now are invited (a series: once, as always) and people
    who are not any more are told so, once each, with a calendar file that takes it out. Returns (invited, told
    it is not for them any more)."""
    if meeting.cancelled_at is not None:
        raise MeetingError("not_scheduled")
    if meeting.audience == audience:
        return 0, 0
    meeting.audience = audience
    await session.flush()
    members = await audience_of(session, meeting)
    wanted = {member.id for member in members}
    upcoming = list(
        await session.scalars(
            select(MeetingOccurrence)
            .where(
                MeetingOccurrence.meeting_id == meeting.id,
                MeetingOccurrence.status == OccurrenceStatus.SCHEDULED,
                MeetingOccurrence.ends_at > now,
                MeetingOccurrence.invited_at.is_not(None),
            )
            .order_by(MeetingOccurrence.starts_at)
        )
    )
    invited = 0
    gone: dict[int, tuple[int, int]] = {}  # member -> (their first date, chat)
    for occurrence in upcoming:
        occurrence.meeting = meeting
        invited += await invite_members(session, now=now, occurrence=occurrence, members=members)
        rows = await session.execute(
            select(MeetingInvitee.id, MeetingInvitee.member_id, Member.telegram_user_id)
            .join(Member, Member.id == MeetingInvitee.member_id)
            .where(MeetingInvitee.occurrence_id == occurrence.id, MeetingInvitee.member_id.not_in(wanted))
        )
        dropped = []
        for invitee_id, member_id, chat_id in rows.all():
            gone.setdefault(member_id, (occurrence.id, chat_id))
            dropped.append(invitee_id)
        if dropped:
            await session.execute(delete(MeetingInvitee).where(MeetingInvitee.id.in_(dropped)))
        await refresh_group_posts(session, now=now, occurrence_id=occurrence.id, delay=timedelta(0))
    for member_id, (first, chat_id) in gone.items():
        await enqueue(
            session, now=now, notice=MeetingUninvited(occurrence_id=first), chat_id=chat_id, member_id=member_id
        )
        calendar = MeetingIcs(occurrence_id=first, withdrawn=True)
        await enqueue(session, now=now, notice=calendar, chat_id=chat_id, member_id=member_id)
    await audit.record(
        session,
        at=now,
        action="meeting.changed",
        region_id=meeting.region_id,
        actor_member_id=actor.id if actor else None,
        subject_type="meeting",
        subject_id=meeting.id,
        details={"detail": "audience", "invited": invited, "uninvited": len(gone)},
    )
    return invited, len(gone)
