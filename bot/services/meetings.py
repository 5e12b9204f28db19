"""Wijk meetings: who may schedule, planning occurrences, who is invited, answers, moving and cancelling.

Every message to an invitee is an outbox row written in the same transaction as its cause; the due times of
invitations and reminders are rows the sweep (bot/services/meeting_sweep.py) handles once each.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from bot.permissions import MyDate
from bot.permissions import is_coordinator_of as is_coordinator
from bot.services import audit
from bot.services.meeting_groups import post_to_groups, refresh_group_posts
from bot.services.meeting_times import DEFAULT_REMINDERS, HORIZON, series, to_local, to_utc
from bot.services.members import member_relations
from bot.services.notices import MeetingIcs, MeetingInvite, Notice
from bot.services.outbox import enqueue
from bot.services.privacy import find_patient_data
from bot.services.text import clean_text, only_control_characters
from db.meetings import (
    Answer,
    Audience,
    DueStatus,
    Meeting,
    MeetingInvitee,
    MeetingOccurrence,
    MeetingReminder,
    OccurrenceStatus,
    meeting_wijk,
)
from db.models import Member, MemberRole, Practice, Region, Role, Wijk

log = logging.getLogger(__name__)

INVITE_AHEAD = timedelta(days=56)  # a series is not sent a year ahead: each date is announced eight weeks before
MAX_TITLE = 200
MAX_LOCATION = 300
MAX_URL = 500
MAX_AGENDA = 2000
MAX_DAYS_AHEAD = 400
MANAGER_ROLES = (Role.PRAKTIJKMANAGER, Role.HUISARTS)  # practice managers and the GPs who hold the practice


class MeetingError(ValueError):
    """A meeting that cannot be saved as it is; `code` says why, for a translated message."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class MeetingSpec:
    """Everything a meeting is made of, as typed in the chat or read from the import file."""

    title: str
    start_local: datetime
    duration_minutes: int
    wijk_ids: list[int] = field(default_factory=list)
    whole_region: bool = False
    location: str | None = None
    url: str | None = None
    agenda: str | None = None
    audience: Audience = Audience.ALL
    rrule: str | None = None
    reminder_minutes: list[int] = field(default_factory=lambda: list(DEFAULT_REMINDERS))


def schedulable_wijk_ids(member: Member | None) -> list[int] | None:
    """The wijken a practice manager may schedule for (their own, if the region allows it); None means every
    wijk of the region (a coordinator); an empty list means none."""
    if member is None:
        return []
    if member.has_role(Role.COORDINATOR):
        return None
    if (
        member.region.meetings_by_managers
        and member.practice is not None
        and member.practice.active
        and member.has_role(Role.PRAKTIJKMANAGER)
    ):
        return [member.practice.wijk_id]
    return []


def may_schedule(member: Member | None) -> bool:
    """Whether this person may schedule a meeting at all."""
    return schedulable_wijk_ids(member) != []


def check_text(value: str | None, limit: int, today: date, *, required: bool = False) -> str | None:
    """Trimmed text within its limit and without anything that looks like patient data."""
    cleaned = clean_text(value or "").strip()
    if not cleaned:
        if only_control_characters(value or "", cleaned):
            raise MeetingError("only_control_characters")
        if required:
            raise MeetingError("missing_title")
        return None
    if len(cleaned) > limit:
        raise MeetingError("too_long")
    if find_patient_data(cleaned, today) is not None:
        raise MeetingError("patient_data")
    return cleaned


def check_url(value: str | None) -> str | None:
    """An online link must be a web address."""
    cleaned = (value or "").strip()
    if not cleaned:
        return None
    # No whitespace or control characters: the link goes into the .ics as is, where a newline would start a line.
    if len(cleaned) > MAX_URL or not re.fullmatch(r"https?://[^\s<>\"\x00-\x1f\x7f]+", cleaned, re.IGNORECASE):
        raise MeetingError("bad_url")
    return cleaned


def check_spec(spec: MeetingSpec, *, today: date) -> MeetingSpec:
    """Validate and clean a spec; raises MeetingError with the first problem."""
    spec.title = check_text(spec.title, MAX_TITLE, today, required=True) or ""
    spec.location = check_text(spec.location, MAX_LOCATION, today)
    spec.agenda = check_text(spec.agenda, MAX_AGENDA, today)
    spec.url = check_url(spec.url)
    if spec.location is None and spec.url is None:
        raise MeetingError("no_place")
    if not spec.whole_region and not spec.wijk_ids:
        raise MeetingError("no_wijk")
    if not 15 <= spec.duration_minutes <= 12 * 60:
        raise MeetingError("bad_duration")
    return spec


async def create_meeting(
    session: AsyncSession, *, now: datetime, region: Region, author: Member | None, spec: MeetingSpec, key: str | None
) -> Meeting:
    """Save a meeting, plan its occurrences and queue the invitations that are due now, in one transaction."""
    wijken = list(await session.scalars(select(Wijk).where(Wijk.id.in_(spec.wijk_ids), Wijk.region_id == region.id)))
    if len(wijken) != len(set(spec.wijk_ids)):
        raise MeetingError("no_wijk")
    meeting = Meeting(
        region_id=region.id,
        key=key,
        whole_region=spec.whole_region,
        title=spec.title,
        location=spec.location,
        url=spec.url,
        agenda=spec.agenda,
        audience=spec.audience,
        timezone=region.timezone,
        start_local=spec.start_local,
        duration_minutes=spec.duration_minutes,
        rrule=spec.rrule,
        reminder_minutes=list(spec.reminder_minutes),
        created_by_member_id=author.id if author else None,
        created_at=now,
        wijken=[] if spec.whole_region else wijken,
    )
    session.add(meeting)
    await session.flush()
    planned = await plan_occurrences(session, now=now, meeting=meeting)
    await audit.record(
        session,
        at=now,
        action="meeting.created",
        region_id=region.id,
        actor_member_id=author.id if author else None,
        subject_type="meeting",
        subject_id=meeting.id,
        details={"occurrences": planned, "imported": key is not None},
    )
    await invite_due(session, now=now, meeting_id=meeting.id)
    return meeting


def reminder_due(starts_at: datetime, offset_minutes: int, zone: ZoneInfo) -> datetime:
    """When a reminder is due. Whole-day offsets count in local wall time, so "7 days before" a 19:00 meeting is
    19:00 a week earlier also across a clock change; shorter offsets are exact durations."""
    days, rest = divmod(offset_minutes, 24 * 60)
    if days and not rest:
        return to_utc(to_local(starts_at, zone) - timedelta(days=days), zone)
    return starts_at - timedelta(minutes=offset_minutes)


def reminder_rows(
    occurrence: MeetingOccurrence, minutes: list[int], now: datetime, zone: ZoneInfo
) -> list[MeetingReminder]:
    """One reminder per offset; those already past when planned are skipped, not sent late."""
    rows = []
    for offset in minutes:
        due = reminder_due(occurrence.starts_at, offset, zone)
        status = DueStatus.PENDING if due > now else DueStatus.SKIPPED
        rows.append(MeetingReminder(occurrence_id=occurrence.id, offset_minutes=offset, due_at=due, status=status))
    return rows


async def plan_occurrences(session: AsyncSession, *, now: datetime, meeting: Meeting) -> int:
    """Create the occurrences up to a year ahead that do not exist yet (idempotent); returns how many."""
    if meeting.cancelled_at is not None:
        return 0
    zone = ZoneInfo(meeting.timezone)
    until = (now + HORIZON).astimezone(zone).replace(tzinfo=None)
    existing = set(
        await session.scalars(select(MeetingOccurrence.position).where(MeetingOccurrence.meeting_id == meeting.id))
    )
    created = 0
    for position, local in enumerate(series(meeting.start_local, meeting.rrule, until_local=until)):
        if position in existing:
            continue
        starts = to_utc(local, zone)
        ends = to_utc(local + timedelta(minutes=meeting.duration_minutes), zone)
        if ends <= now:
            continue  # a date of an imported schedule that has passed already
        occurrence = MeetingOccurrence(
            meeting_id=meeting.id,
            position=position,
            start_local=local,
            starts_at=starts,
            ends_at=ends,
            status=OccurrenceStatus.SCHEDULED,
            sequence=0,
            invite_at=starts - INVITE_AHEAD,
        )
        session.add(occurrence)
        await session.flush()
        session.add_all(reminder_rows(occurrence, meeting.reminder_minutes, now, zone))
        created += 1
    await session.flush()
    return created


def audience_filter(meeting: Meeting) -> ColumnElement[bool]:
    """Members of the region's active practices in the meeting's wijken (or the whole region)."""
    practices = select(Practice.id).where(Practice.region_id == meeting.region_id, Practice.active.is_(True))
    if not meeting.whole_region:
        practices = practices.where(
            Practice.wijk_id.in_(select(meeting_wijk.c.wijk_id).where(meeting_wijk.c.meeting_id == meeting.id))
        )
    return Member.practice_id.in_(practices)


async def audience(session: AsyncSession, meeting: Meeting) -> list[Member]:
    """Everyone the meeting is for, plus its organiser, by id."""
    statement = select(Member).where(audience_filter(meeting))
    if meeting.audience == Audience.MANAGERS:
        roles = list(MANAGER_ROLES)
        statement = statement.where(Member.id.in_(select(MemberRole.member_id).where(MemberRole.role.in_(roles))))
    members = list(await session.scalars(statement.order_by(Member.id)))
    organiser_id = meeting.created_by_member_id
    if organiser_id is not None and all(m.id != organiser_id for m in members):
        organiser = await session.get(Member, organiser_id)
        if organiser is not None:
            members.append(organiser)
    return members


async def notify(
    session: AsyncSession, *, now: datetime, notice: Notice, invitee: MeetingInvitee, chat_id: int
) -> None:
    """A notice about one occurrence for one invitee, followed by the calendar file as it is now."""
    calendar = MeetingIcs(occurrence_id=invitee.occurrence_id)
    await enqueue(session, now=now, notice=notice, chat_id=chat_id, member_id=invitee.member_id)
    await enqueue(session, now=now, notice=calendar, chat_id=chat_id, member_id=invitee.member_id)


async def invite_members(
    session: AsyncSession, *, now: datetime, occurrence: MeetingOccurrence, members: list[Member]
) -> int:
    """Invite each member once (the unique key keeps it once); returns how many were told (a later date of a
    series joins silently for those who hold the series already, and is not counted).

    The organiser is recorded as coming ("ja", which they can change) and gets only the calendar file: they
    planned it, so an invitation asking them whether they come would be noise, and it would count them among
    those who have not answered."""
    known = set(
        await session.scalars(select(MeetingInvitee.member_id).where(MeetingInvitee.occurrence_id == occurrence.id))
    )
    in_series: set[int] = set()
    if occurrence.meeting.one_entry:
        # Invited to another date of the series, they hold the whole series in their calendar already (its file
        # has the rule): this date joins without a message of its own; its reminder asks for their answer.
        in_series = set(
            await session.scalars(
                select(MeetingInvitee.member_id)
                .join(MeetingOccurrence, MeetingOccurrence.id == MeetingInvitee.occurrence_id)
                .where(
                    MeetingOccurrence.meeting_id == occurrence.meeting_id,
                    MeetingOccurrence.id != occurrence.id,
                    MeetingOccurrence.ends_at > now,  # one who was left out and is back gets the series anew
                )
                .distinct()
            )
        )
    organiser_id = occurrence.meeting.created_by_member_id
    count = 0
    for member in members:
        if member.id in known:
            continue
        invitee = MeetingInvitee(occurrence_id=occurrence.id, member_id=member.id, invited_at=now)
        if member.id == organiser_id:
            invitee.answer, invitee.answered_at = Answer.YES, now
        session.add(invitee)
        await session.flush()
        if member.id in in_series:
            continue  # not counted: nobody is told
        if member.id == organiser_id:
            calendar = MeetingIcs(occurrence_id=occurrence.id)
            await enqueue(session, now=now, notice=calendar, chat_id=member.telegram_user_id, member_id=member.id)
        else:
            invitation = MeetingInvite(occurrence_id=occurrence.id)
            await notify(session, now=now, notice=invitation, invitee=invitee, chat_id=member.telegram_user_id)
        count += 1
    return count


async def invite_due(session: AsyncSession, *, now: datetime, meeting_id: int | None = None, limit: int = 50) -> int:
    """Send the invitations whose time has come; each occurrence is claimed with a guarded update, once."""
    statement = (
        select(MeetingOccurrence)
        .where(
            MeetingOccurrence.invited_at.is_(None),
            MeetingOccurrence.invite_at <= now,
            MeetingOccurrence.status == OccurrenceStatus.SCHEDULED,
            MeetingOccurrence.ends_at > now,
        )
        .options(selectinload(MeetingOccurrence.meeting))
        .order_by(MeetingOccurrence.starts_at)
        .limit(limit)
    )
    if meeting_id is not None:
        statement = statement.where(MeetingOccurrence.meeting_id == meeting_id)
    invited = 0
    for occurrence in list(await session.scalars(statement)):
        claimed = await session.execute(
            update(MeetingOccurrence)
            .where(MeetingOccurrence.id == occurrence.id, MeetingOccurrence.invited_at.is_(None))
            .values(invited_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        members = await audience(session, occurrence.meeting)
        invited += await invite_members(session, now=now, occurrence=occurrence, members=members)
        await post_to_groups(session, now=now, occurrence=occurrence)
        log.info("meeting.invited occurrence=%s count=%s", occurrence.id, len(members))
    return invited


async def invite_new_member(session: AsyncSession, *, now: datetime, member_id: int) -> int:
    """Someone joined (or got a role): invite them to the upcoming occurrences whose invitations went out."""
    occurrences = list(
        await session.scalars(
            select(MeetingOccurrence)
            .where(
                MeetingOccurrence.invited_at.is_not(None),
                MeetingOccurrence.status == OccurrenceStatus.SCHEDULED,
                MeetingOccurrence.starts_at > now,
            )
            .options(selectinload(MeetingOccurrence.meeting))
            .order_by(MeetingOccurrence.starts_at)
        )
    )
    count = 0
    for occurrence in occurrences:
        members = [m for m in await audience(session, occurrence.meeting) if m.id == member_id]
        count += await invite_members(session, now=now, occurrence=occurrence, members=members)
    return count


async def load_meeting(session: AsyncSession, meeting_id: int | None) -> Meeting | None:
    """A meeting with its wijken (what a change of its details checks against)."""
    if meeting_id is None:
        return None
    return await session.scalar(select(Meeting).where(Meeting.id == meeting_id).options(selectinload(Meeting.wijken)))


async def load_occurrence(session: AsyncSession, occurrence_id: int | None) -> MeetingOccurrence | None:
    """An occurrence with its meeting (wijken, organiser) and invitees (with their members), fresh."""
    if occurrence_id is None:
        return None
    return await session.scalar(
        select(MeetingOccurrence)
        .where(MeetingOccurrence.id == occurrence_id)
        .options(
            selectinload(MeetingOccurrence.meeting).selectinload(Meeting.wijken),
            selectinload(MeetingOccurrence.meeting).selectinload(Meeting.created_by).options(*member_relations()),
            selectinload(MeetingOccurrence.invitees).selectinload(MeetingInvitee.member).options(*member_relations()),
            selectinload(MeetingOccurrence.reminders),
        )
        .execution_options(populate_existing=True)
    )


async def load_occurrence_lean(session: AsyncSession, occurrence_id: int | None) -> MeetingOccurrence | None:
    """An occurrence with its meeting and wijken, nothing about who is invited: what a message to one invitee
    shows. Loading every invitee for each of a fan-out's messages made an invitation to N people cost N^2."""
    if occurrence_id is None:
        return None
    return await session.scalar(
        select(MeetingOccurrence)
        .where(MeetingOccurrence.id == occurrence_id)
        .options(
            joinedload(MeetingOccurrence.meeting).selectinload(Meeting.wijken),
            joinedload(MeetingOccurrence.meeting).joinedload(Meeting.created_by),
        )
    )


# A series' calendar file names its dates that differ from the rule: at most this many, the nearest first.
SERIES_FILE_DATES = 400


@dataclass(frozen=True)
class SeriesDates:
    """What a series' calendar file needs beyond its meeting: the dates that differ from the rule (cancelled or
    moved, past ones too: the entry starts at the first date, and a past exception left out would come back),
    and a SEQUENCE that rises with every change to any date."""

    changed: list[MeetingOccurrence]
    sequence: int


async def series_dates(session: AsyncSession, meeting: Meeting, now: datetime) -> SeriesDates:
    """Two queries, bounded: the changed dates still relevant, and the sum of every date's SEQUENCE (each change
    raises one of them, and dates are never deleted while the series runs, so the sum only grows)."""
    changed = await session.scalars(
        select(MeetingOccurrence)
        .where(
            MeetingOccurrence.meeting_id == meeting.id,
            MeetingOccurrence.sequence > 0,
        )
        .order_by(MeetingOccurrence.starts_at)
        .limit(SERIES_FILE_DATES)
    )
    total = await session.scalar(
        select(func.coalesce(func.sum(MeetingOccurrence.sequence), 0)).where(
            MeetingOccurrence.meeting_id == meeting.id
        )
    )
    return SeriesDates(list(changed), int(total or 0))


async def answer_of(session: AsyncSession, occurrence_id: int, member_id: int) -> Answer | None:
    """One invitee's answer to an occurrence (None: not answered, or not invited)."""
    return await session.scalar(
        select(MeetingInvitee.answer).where(
            MeetingInvitee.occurrence_id == occurrence_id, MeetingInvitee.member_id == member_id
        )
    )


async def _my_date(
    session: AsyncSession, occurrence_id: int | None, member: Member | None, *, wijken: bool
) -> MyDate | None:
    if occurrence_id is None:
        return None
    meeting = joinedload(MeetingOccurrence.meeting)
    # The organiser may be the presser, whose roles populate_existing would otherwise unload.
    organiser = joinedload(MeetingOccurrence.meeting).joinedload(Meeting.created_by).options(*member_relations())
    card = (meeting.selectinload(Meeting.wijken), organiser)
    occurrence = await session.scalar(
        select(MeetingOccurrence)
        .where(MeetingOccurrence.id == occurrence_id)
        .options(*(card if wijken else (meeting,)))
        .execution_options(populate_existing=True)
    )
    if occurrence is None:
        return None
    invitee = None
    if member is not None:
        invitee = await session.scalar(
            select(MeetingInvitee).where(
                MeetingInvitee.occurrence_id == occurrence_id, MeetingInvitee.member_id == member.id
            )
        )
    return MyDate(occurrence, invitee)


async def load_my_date(session: AsyncSession, occurrence_id: int | None, member: Member | None) -> MyDate | None:
    """A date with its meeting and the member's own invitation: what answering needs, by two indexed queries
    however many are invited (`load_occurrence` loads everyone, for what is sent to everyone)."""
    return await _my_date(session, occurrence_id, member, wijken=False)


async def load_my_card(session: AsyncSession, occurrence_id: int | None, member: Member | None) -> MyDate | None:
    """As `load_my_date`, with the meeting's wijken and organiser, for the date's card."""
    return await _my_date(session, occurrence_id, member, wijken=True)


async def set_answer(session: AsyncSession, *, now: datetime, member: Member, mine: MyDate, answer: Answer) -> str:
    """Record or change an answer (one UPDATE of the member's own row); returns "ok", "not_invited",
    "cancelled" or "over"."""
    invitee, occurrence = mine.invitee, mine.occurrence
    if invitee is None or invitee.member_id != member.id:
        return "not_invited"
    if occurrence.status == OccurrenceStatus.CANCELLED:
        return "cancelled"
    if occurrence.ends_at <= now:
        return "over"
    await session.execute(
        update(MeetingInvitee)
        .where(MeetingInvitee.id == invitee.id)
        .values(answer=answer, answered_at=now)
        .execution_options(synchronize_session=False)
    )
    if invitee.answer != answer:
        await refresh_group_posts(session, now=now, occurrence_id=occurrence.id)
    return "ok"


Counts = dict[Answer | None, int]


def _no_answers() -> Counts:
    """Every answer at 0, in the order they are shown (not answered last)."""
    counts: Counts = {answer: 0 for answer in Answer}
    counts[None] = 0
    return counts


async def answer_counts(session: AsyncSession, occurrence_ids: list[int]) -> dict[int, Counts]:
    """How many gave each answer (None: not yet), per date, counted in SQL; a date nobody is invited to yet
    is left out."""
    if not occurrence_ids:
        return {}
    rows = await session.execute(
        select(MeetingInvitee.occurrence_id, MeetingInvitee.answer, func.count())
        .where(MeetingInvitee.occurrence_id.in_(occurrence_ids))
        .group_by(MeetingInvitee.occurrence_id, MeetingInvitee.answer)
    )
    found: dict[int, Counts] = {}
    for occurrence_id, answer, count in rows:
        found.setdefault(occurrence_id, _no_answers())[answer] = count
    return found


@dataclass(frozen=True)
class Tally:
    """The answers to one date for its organiser: how many gave each, and the first `names` of each (in the
    order they were invited); read by two queries however many are invited."""

    counts: Counts
    first: dict[Answer | None, list[Member]]


async def answer_tally(session: AsyncSession, occurrence_id: int, names: int) -> Tally:
    """Counts per answer, and the members of each answer's first `names` invitations (one ranked query)."""
    counts = (await answer_counts(session, [occurrence_id])).get(occurrence_id, _no_answers())
    rank = func.row_number().over(partition_by=MeetingInvitee.answer, order_by=MeetingInvitee.id)
    ranked = (
        select(MeetingInvitee.member_id, MeetingInvitee.answer, rank.label("rank"))
        .where(MeetingInvitee.occurrence_id == occurrence_id)
        .subquery()
    )
    rows = await session.execute(
        select(Member, ranked.c.answer)
        .join(ranked, ranked.c.member_id == Member.id)
        .where(ranked.c.rank <= names)
        .order_by(ranked.c.rank)
    )
    first: dict[Answer | None, list[Member]] = {answer: [] for answer in counts}
    for member, answer in rows:
        first[answer].append(member)
    return Tally(counts, first)


PAGE_SIZE = 12  # dates per page of /bijeenkomsten; a weekly series alone has more than that
MAX_MONTHS = 24  # months offered to jump to: a series is planned a year ahead, plus the last 30 days


def _overview_where(member: Member, now: datetime) -> ColumnElement[bool]:
    """My upcoming dates, plus, for the meetings I manage, those of the last 30 days (for action points)."""
    invited = select(MeetingInvitee.occurrence_id).where(MeetingInvitee.member_id == member.id)
    managed = select(Meeting.id).where(Meeting.region_id == member.region_id)
    if not is_coordinator(member, member.region_id):
        managed = managed.where(Meeting.created_by_member_id == member.id)
    return (MeetingOccurrence.id.in_(invited) & (MeetingOccurrence.ends_at > now)) | (
        MeetingOccurrence.meeting_id.in_(managed) & (MeetingOccurrence.ends_at > now - timedelta(days=30))
    )


async def overview(
    session: AsyncSession, *, member: Member, now: datetime, offset: int = 0, limit: int = PAGE_SIZE
) -> list[MyDate]:
    """One page of my dates in time order (ties by id, so pages neither skip nor repeat one), each with its
    meeting and my own invitation, whatever the number invited."""
    statement = (
        select(MeetingOccurrence)
        .where(_overview_where(member, now))
        .options(joinedload(MeetingOccurrence.meeting))
        .order_by(MeetingOccurrence.starts_at, MeetingOccurrence.id)
        .offset(offset)
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    occurrences = list(await session.scalars(statement))
    mine = {
        invitee.occurrence_id: invitee
        for invitee in await session.scalars(
            select(MeetingInvitee).where(
                MeetingInvitee.member_id == member.id,
                MeetingInvitee.occurrence_id.in_([occurrence.id for occurrence in occurrences]),
            )
        )
    }
    return [MyDate(occurrence, mine.get(occurrence.id)) for occurrence in occurrences]


async def overview_count(
    session: AsyncSession, *, member: Member, now: datetime, before: datetime | None = None
) -> int:
    """How many dates the overview has (counted in SQL); with `before`, how many start before it: the offset
    of the first date from then on."""
    statement = select(func.count(MeetingOccurrence.id)).where(_overview_where(member, now))
    if before is not None:
        statement = statement.where(MeetingOccurrence.starts_at < before)
    return int(await session.scalar(statement) or 0)


def month_start(month: date, zone: ZoneInfo) -> datetime:
    """The first moment of a local month, in UTC."""
    return to_utc(datetime(month.year, month.month, 1), zone)


def next_month(month: date) -> date:
    """The first day of the following month."""
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


async def overview_months(session: AsyncSession, *, member: Member, now: datetime, zone: ZoneInfo) -> dict[date, int]:
    """The local months that have dates in my overview (first day of each), with how many: two queries, the
    second one sum per month, never a row per date."""
    where = _overview_where(member, now)
    first, last = (
        await session.execute(
            select(func.min(MeetingOccurrence.starts_at), func.max(MeetingOccurrence.starts_at)).where(where)
        )
    ).one()
    if first is None or last is None:
        return {}
    months = [to_local(first, zone).date().replace(day=1)]
    final = to_local(last, zone).date().replace(day=1)
    while months[-1] < final and len(months) < MAX_MONTHS:
        months.append(next_month(months[-1]))
    columns = [
        func.sum(
            case(
                (
                    (MeetingOccurrence.starts_at >= month_start(month, zone))
                    & (MeetingOccurrence.starts_at < month_start(next_month(month), zone)),
                    1,
                ),
                else_=0,
            )
        )
        for month in months
    ]
    counts = (await session.execute(select(*columns).where(where))).one()
    return {month: int(count) for month, count in zip(months, counts, strict=True) if count}
