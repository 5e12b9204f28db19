"""The escalation ladder: who is asked in which round, and when the next round starts.

1. the requester's continuity partners, and members of the wijk who are available on the slots;
2. the rest of the wijk;
3. adjacent wijken (members willing to go that far) and the medical-student pool where the region allows it;
4. the whole region (members willing to go anywhere), and the coordinators are alerted.
The next round's due time is stored on the request; a sweep advances due requests with a guarded UPDATE, so
a restart neither skips nor repeats a round, and the unique (request, member) key means nobody is asked twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.permissions import may_act_for_request
from bot.services import audit
from bot.services.groups import post_to_groups
from bot.services.members import member_relations
from bot.services.notices import RequestAlert
from bot.services.outbox import enqueue
from bot.services.requests import (
    FILLING_ROLES,
    NeededRole,
    SlotInput,
    load_request,
    save_request,
    send_copy,
)
from db.models import (
    Availability,
    AvailabilityException,
    Daypart,
    Member,
    Practice,
    Region,
    RequestRecipient,
    RequestSlot,
    RequestStatus,
    Role,
    ShortageRequest,
    Urgency,
    Wijk,
)

LAST_ROUND = 4


@dataclass(frozen=True)
class Waits:
    """How long each round waits before the next, per urgency (settings ESCALATION_MINUTES_*)."""

    spoed: timedelta
    normaal: timedelta

    @classmethod
    def from_minutes(cls, spoed: float, normaal: float) -> Waits:
        """From the settings, in minutes (fractions allowed)."""
        return cls(timedelta(minutes=spoed), timedelta(minutes=normaal))

    def after(self, urgency: str) -> timedelta:
        """The wait for a request of this urgency."""
        return self.spoed if urgency == Urgency.SPOED else self.normaal


@dataclass(frozen=True)
class Asked:
    """A saved request, the round now running and how many people were asked in total."""

    request: ShortageRequest
    round: int
    asked: int


@dataclass
class _Candidate:
    member: Member
    wijk_id: int | None
    available: set[tuple[int, Daypart]]
    days_off: set[date]


def slot_daypart(slot: RequestSlot, zone: ZoneInfo) -> Daypart:
    """The day-part a slot falls in; exact times count as morning when they start before 13:00."""
    if slot.daypart != Daypart.TIME:
        return slot.daypart
    return Daypart.OCHTEND if slot.start_at.astimezone(zone).time() < time(13) else Daypart.MIDDAG


def in_quiet_hours(member: Member, moment: datetime, zone: ZoneInfo) -> datetime | None:
    """When the member's quiet hours end, if `moment` falls in them; None otherwise."""
    local = moment.astimezone(zone)
    start, end = time.fromisoformat(member.quiet_start), time.fromisoformat(member.quiet_end)
    now = local.time()
    quiet = (now >= start or now < end) if start > end else (start <= now < end)
    if not quiet:
        return None
    day = local.date() if now < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, zone)


async def _candidates(session: AsyncSession, request: ShortageRequest) -> list[_Candidate]:
    """Everyone in the region who could fill the request, before the round's own filter."""
    needed = NeededRole(request.role_needed)
    roles = FILLING_ROLES[needed] - {Role.MEDISCH_STUDENT}
    region = await session.get(Region, request.region_id)
    students_allowed = region is not None and needed.value in (region.student_roles or [])
    members = list(
        await session.scalars(select(Member).where(Member.region_id == request.region_id).options(*member_relations()))
    )
    available: dict[int, set[tuple[int, Daypart]]] = {}
    for row in await session.scalars(select(Availability)):
        available.setdefault(row.member_id, set()).add((row.weekday, row.daypart))
    days = {slot.day for slot in request.slots}
    days_off: dict[int, set[date]] = {}
    for off in await session.scalars(select(AvailabilityException).where(AvailabilityException.day.in_(days))):
        days_off.setdefault(off.member_id, set()).add(off.day)
    found = []
    for member in members:
        lendable = {row.role for row in member.role_rows if row.lendable}
        is_student = member.practice is None and Role.MEDISCH_STUDENT in lendable
        if member.id == request.created_by_member_id or member.practice_id == request.practice_id:
            continue
        if not (lendable & roles and member.practice is not None) and not (is_student and students_allowed):
            continue
        wijk_id = member.practice.wijk_id if member.practice is not None else None
        found.append(_Candidate(member, wijk_id, available.get(member.id, set()), days_off.get(member.id, set())))
    return found


def _available_on(candidate: _Candidate, request: ShortageRequest, zone: ZoneInfo) -> bool:
    """Declared available on at least one of the request's slots, and not off that day."""
    return any(
        (slot.day.weekday(), slot_daypart(slot, zone)) in candidate.available and slot.day not in candidate.days_off
        for slot in request.slots
    )


async def _round_members(
    session: AsyncSession, request: ShortageRequest, round_no: int, today: date, zone: ZoneInfo
) -> list[Member]:
    """Who this round adds (people asked in an earlier round are left out by the caller)."""
    practice = await session.scalar(
        select(Practice).where(Practice.id == request.practice_id).options(selectinload(Practice.partners))
    )
    wijk = await session.scalar(select(Wijk).where(Wijk.id == request.wijk_id).options(selectinload(Wijk.adjacent)))
    partners = {p.id for p in practice.partners} if practice else set()
    adjacent = {w.id for w in wijk.adjacent} if wijk else set()
    days = {slot.day for slot in request.slots}
    chosen = []
    for candidate in await _candidates(session, request):
        member = candidate.member
        if member.paused_on(today) or days <= candidate.days_off:
            continue  # paused, or off on every day asked
        in_wijk = candidate.wijk_id == request.wijk_id
        if round_no == 1:
            keep = member.practice_id in partners or (in_wijk and _available_on(candidate, request, zone))
        elif round_no == 2:
            keep = in_wijk
        elif round_no == 3:
            student = member.practice is None
            keep = student or (candidate.wijk_id in adjacent and member.reach in ("adjacent", "region"))
        else:
            keep = member.reach == "region"
        if keep:
            chosen.append(member)
    return chosen


async def _ask(session: AsyncSession, *, now: datetime, zone: ZoneInfo, request: ShortageRequest) -> int:
    """Ask this round's new people; normaal requests wait out each person's quiet hours."""
    today = now.astimezone(zone).date()
    already = set(
        await session.scalars(select(RequestRecipient.member_id).where(RequestRecipient.request_id == request.id))
    )
    asked = 0
    for member in await _round_members(session, request, request.round, today, zone):
        if member.id in already:
            continue
        recipient = RequestRecipient(
            request_id=request.id,
            member_id=member.id,
            chat_id=member.telegram_user_id,
            created_at=now,
            round=request.round,
        )
        session.add(recipient)
        await session.flush()
        due = None if request.urgency == Urgency.SPOED else in_quiet_hours(member, now, zone)
        await send_copy(session, now=now, recipient=recipient, due_at=due)
        asked += 1
    await audit.record(
        session,
        at=now,
        action="request.round",
        region_id=request.region_id,
        subject_type="request",
        subject_id=request.id,
        details={"round": request.round, "asked": asked},
    )
    if request.round == LAST_ROUND:
        await _alert_coordinators(session, now=now, request=request)
    return asked


async def _alert_coordinators(session: AsyncSession, *, now: datetime, request: ShortageRequest) -> None:
    """The last round has started and the request is still open: the region's coordinators are told."""
    coordinators = await session.scalars(
        select(Member).where(Member.region_id == request.region_id).options(*member_relations())
    )
    for coordinator in coordinators:
        if coordinator.has_role(Role.COORDINATOR):
            await enqueue(
                session,
                now=now,
                notice=RequestAlert(request_id=request.id),
                chat_id=coordinator.telegram_user_id,
                member_id=coordinator.id,
            )


async def _climb(
    session: AsyncSession, *, now: datetime, zone: ZoneInfo, request: ShortageRequest, waits: Waits
) -> int:
    """Run the current round, and the next ones at once while a round reaches nobody new."""
    asked = await _ask(session, now=now, zone=zone, request=request)
    while asked == 0 and request.round < LAST_ROUND:
        request.round += 1
        asked = await _ask(session, now=now, zone=zone, request=request)
    request.next_round_at = now + waits.after(request.urgency) if request.round < LAST_ROUND else None
    return asked


async def post_and_ask(
    session: AsyncSession,
    *,
    now: datetime,
    zone: ZoneInfo,
    waits: Waits,
    author: Member,
    practice: Practice,
    role_needed: NeededRole,
    urgency: Urgency,
    slots: list[SlotInput],
    note: str | None,
) -> Asked:
    """Save a request and start its ladder at round 1, in one transaction."""
    request = await save_request(
        session,
        now=now,
        zone=zone,
        author=author,
        practice=practice,
        role_needed=role_needed,
        urgency=urgency,
        slots=slots,
        note=note,
    )
    request.round = 1
    asked = await _climb(session, now=now, zone=zone, request=request, waits=waits)
    await post_to_groups(session, now=now, request=request)
    await session.flush()
    loaded = await load_request(session, request.id)
    assert loaded is not None
    return Asked(loaded, loaded.round, asked)


async def escalate(
    session: AsyncSession, *, now: datetime, zone: ZoneInfo, request_id: int, waits: Waits, expected_round: int
) -> int | None:
    """Start the next round of an open request, if nobody else did; returns how many were asked."""
    moved = await session.execute(
        update(ShortageRequest)
        .where(
            ShortageRequest.id == request_id,
            ShortageRequest.round == expected_round,
            ShortageRequest.round < LAST_ROUND,
            ShortageRequest.status == RequestStatus.OPEN,
        )
        .values(round=expected_round + 1)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        return None
    request = await load_request(session, request_id)
    assert request is not None
    return await _climb(session, now=now, zone=zone, request=request, waits=waits)


async def due_escalations(session: AsyncSession, *, now: datetime) -> list[tuple[int, int]]:
    """Open requests whose next round is due: (id, round)."""
    rows = await session.execute(
        select(ShortageRequest.id, ShortageRequest.round).where(
            ShortageRequest.status == RequestStatus.OPEN,
            ShortageRequest.next_round_at.is_not(None),
            ShortageRequest.next_round_at <= now,
        )
    )
    return [(request_id, round_no) for request_id, round_no in rows.all()]


async def widen_now(
    session: AsyncSession, *, now: datetime, zone: ZoneInfo, member: Member | None, request_id: int, waits: Waits
) -> int | None:
    """ "Nu breder vragen": the requester starts the next round at once. None if not allowed or not possible."""
    request = await load_request(session, request_id)
    if request is None or not may_act_for_request(member, request) or request.status != RequestStatus.OPEN:
        return None
    return await escalate(session, now=now, zone=zone, request_id=request.id, waits=waits, expected_round=request.round)
