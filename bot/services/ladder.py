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

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.permissions import may_act_for_request
from bot.services import audit
from bot.services.availability import in_quiet_hours
from bot.services.groups import post_to_groups
from bot.services.notices import RequestAlert, RequestWidened
from bot.services.outbox import enqueue
from bot.services.requests import (
    FILLING_ROLES,
    LAST_ROUND,
    NeededRole,
    SlotInput,
    load_request,
    refresh_status,
    save_request,
    send_copy,
)
from db.models import (
    Availability,
    AvailabilityException,
    Daypart,
    Member,
    MemberRole,
    Offer,
    OfferStatus,
    Practice,
    Region,
    RequestAlertMessage,
    RequestRecipient,
    RequestSlot,
    RequestStatus,
    Role,
    ShortageRequest,
    Urgency,
    practice_partner,
    wijk_adjacency,
)


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
    """A saved request, the round now running and how many people were asked in total; of them, how many get it
    only after their quiet hours (`waiting`), the last at `reached_at`."""

    request: ShortageRequest
    round: int
    asked: int
    waiting: int = 0
    reached_at: datetime | None = None


def slot_daypart(slot: RequestSlot, zone: ZoneInfo) -> Daypart:
    """The day-part a slot falls in; exact times count as morning when they start before 13:00."""
    if slot.daypart != Daypart.TIME:
        return slot.daypart
    return Daypart.OCHTEND if slot.start_at.astimezone(zone).time() < time(13) else Daypart.MIDDAG


def _holds_role(roles: set[Role]) -> ColumnElement[bool]:
    """The member holds one of `roles` and may be lent in it."""
    return Member.id.in_(select(MemberRole.member_id).where(MemberRole.role.in_(roles), MemberRole.lendable.is_(True)))


def _available_on(request: ShortageRequest, zone: ZoneInfo) -> ColumnElement[bool]:
    """Declared available on at least one of the request's slots, and not off that day (one pair of index
    lookups per slot: a request has a handful)."""
    per_slot = []
    for slot in request.slots:
        declared = select(Availability.member_id).where(
            Availability.member_id == Member.id,
            Availability.weekday == slot.day.weekday(),
            Availability.daypart == slot_daypart(slot, zone),
        )
        off = select(AvailabilityException.member_id).where(
            AvailabilityException.member_id == Member.id, AvailabilityException.day == slot.day
        )
        per_slot.append(and_(exists(declared), ~exists(off)))
    return or_(false(), *per_slot)


def _not_off_every_day(request: ShortageRequest) -> ColumnElement[bool]:
    """Not off (a day off in their availability) on every day the request asks for."""
    days = {slot.day for slot in request.slots}
    off_days = (
        select(func.count(AvailabilityException.day))
        .where(AvailabilityException.member_id == Member.id, AvailabilityException.day.in_(days))
        .scalar_subquery()
    )
    return off_days < len(days)


def _not_booked_for_every_slot(request: ShortageRequest) -> ColumnElement[bool]:
    """Not already booked (an accepted offer elsewhere) at the times of every slot the request asks for: someone
    booked for all of them could offer for none (one index lookup per slot: a request has a handful)."""
    booked = []
    for slot in request.slots:
        elsewhere = (
            select(Offer.id)
            .join(RequestSlot, RequestSlot.filled_offer_id == Offer.id)
            .where(
                Offer.member_id == Member.id,
                Offer.status == OfferStatus.ACCEPTED,
                RequestSlot.request_id != request.id,
                RequestSlot.start_at < slot.end_at,
                RequestSlot.end_at > slot.start_at,
            )
        )
        booked.append(elsewhere.exists())
    return ~and_(*booked) if booked else true()


def _in_practices(practices: Select[int] | set[int]) -> ColumnElement[bool]:
    return Member.practice_id.in_(practices)


async def _scope(session: AsyncSession, request: ShortageRequest, round_no: int, zone: ZoneInfo) -> ColumnElement[bool]:
    """Whom this round reaches, as a condition on the member that an index can serve: practices (the
    requester's partners, the wijk's, the adjacent wijken's), the student pool, or those who go anywhere."""
    needed = NeededRole(request.role_needed)
    staff = _holds_role(set(FILLING_ROLES[needed] - {Role.MEDISCH_STUDENT})) & Member.practice_id.is_not(None)
    wijk_practices = select(Practice.id).where(Practice.wijk_id == request.wijk_id)
    if round_no == 1:
        partners = set(
            await session.scalars(
                select(practice_partner.c.partner_id).where(practice_partner.c.practice_id == request.practice_id)
            )
        )
        return staff & or_(_in_practices(partners), _in_practices(wijk_practices) & _available_on(request, zone))
    if round_no == 2:
        return staff & _in_practices(wijk_practices)
    if round_no == 3:
        adjacent = select(wijk_adjacency.c.adjacent_wijk_id).where(wijk_adjacency.c.wijk_id == request.wijk_id)
        wider = _in_practices(select(Practice.id).where(Practice.wijk_id.in_(adjacent))) & Member.reach.in_(
            ("adjacent", "region")
        )
        region = await session.get(Region, request.region_id)
        if region is not None and needed.value in (region.student_roles or []):
            students = Member.practice_id.is_(None) & _holds_role({Role.MEDISCH_STUDENT})
            return or_(staff & wider, students)
        return staff & wider
    return staff & (Member.reach == "region")


async def _round_members(
    session: AsyncSession, request: ShortageRequest, round_no: int, today: date, zone: ZoneInfo
) -> list[Member]:
    """Who this round adds, in one query: the round's scope, the role, not paused, not off on every day asked,
    not booked elsewhere at every time asked, not the requester's own practice, and not asked before."""
    asked_before = select(RequestRecipient.member_id).where(RequestRecipient.request_id == request.id)
    query = select(Member).where(
        Member.region_id == request.region_id,
        await _scope(session, request, round_no, zone),
        Member.id != request.created_by_member_id,
        or_(Member.practice_id.is_(None), Member.practice_id != request.practice_id),
        or_(Member.paused_until.is_(None), Member.paused_until < today),
        _not_off_every_day(request),
        _not_booked_for_every_slot(request),
        Member.id.not_in(asked_before),
    )
    return list(await session.scalars(query.order_by(Member.id)))


@dataclass(frozen=True)
class RoundAsked:
    """A round's new people: how many, and when the last of them has the request (a normaal request waits out
    each person's quiet hours; the round's wait counts from then, so partners are never asked together with
    the region at 07:30)."""

    asked: int
    reached_at: datetime
    waiting: int = 0  # of them, how many get it only after their quiet hours


async def _ask(session: AsyncSession, *, now: datetime, zone: ZoneInfo, request: ShortageRequest) -> RoundAsked:
    """Ask this round's new people; normaal requests wait out each person's quiet hours."""
    today = now.astimezone(zone).date()
    asked, waiting, reached_at = 0, 0, now
    for member in await _round_members(session, request, request.round, today, zone):
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
        waiting += due is not None
        reached_at = max(reached_at, due or now)
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
        await _alert_coordinators(session, now=now, zone=zone, request=request)
    return RoundAsked(asked, reached_at, waiting)


async def _alert_coordinators(
    session: AsyncSession, *, now: datetime, zone: ZoneInfo, request: ShortageRequest
) -> None:
    """The last round has started and the request is still open: the region's coordinators are told (for a
    normaal request not in their quiet hours: it can wait for the morning, and so can they)."""
    coordinators = await session.scalars(
        select(Member).where(
            Member.region_id == request.region_id,
            Member.id.in_(select(MemberRole.member_id).where(MemberRole.role == Role.COORDINATOR)),
        )
    )
    for coordinator in coordinators:
        alert = RequestAlertMessage(
            request_id=request.id, member_id=coordinator.id, chat_id=coordinator.telegram_user_id
        )
        session.add(alert)
        await session.flush()
        await enqueue(
            session,
            now=now,
            notice=RequestAlert(request_id=request.id, alert_id=alert.id),
            chat_id=coordinator.telegram_user_id,
            member_id=coordinator.id,
            due_at=None if request.urgency == Urgency.SPOED else in_quiet_hours(coordinator, now, zone),
        )


async def _climb(
    session: AsyncSession, *, now: datetime, zone: ZoneInfo, request: ShortageRequest, waits: Waits
) -> RoundAsked:
    """Run the current round, and the next ones at once while a round reaches nobody new. The next round is due
    a wait after the last of this round's people has the request."""
    round_asked = await _ask(session, now=now, zone=zone, request=request)
    while round_asked.asked == 0 and request.round < LAST_ROUND:
        request.round += 1
        round_asked = await _ask(session, now=now, zone=zone, request=request)
    wait = waits.after(request.urgency)
    request.next_round_at = round_asked.reached_at + wait if request.round < LAST_ROUND else None
    return round_asked


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
    return Asked(loaded, loaded.round, asked.asked, asked.waiting, asked.reached_at if asked.waiting else None)


async def escalate(
    session: AsyncSession,
    *,
    now: datetime,
    zone: ZoneInfo,
    request_id: int,
    waits: Waits,
    expected_round: int,
    announce: bool = False,
) -> int | None:
    """Start the next round of an open request, if nobody else did; returns how many were asked. The requester's
    status message follows; `announce` (the sweep's rounds, not a press of the requester's) also tells them."""
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
    asked = (await _climb(session, now=now, zone=zone, request=request, waits=waits)).asked
    await refresh_status(session, now=now, request=request)
    if announce and request.created_by is not None and request.created_by.deleted_at is None:
        await enqueue(
            session,
            now=now,
            notice=RequestWidened(request_id=request.id, round_no=request.round),
            chat_id=request.created_by.telegram_user_id,
            member_id=request.created_by.id,
            due_at=None if request.urgency == Urgency.SPOED else in_quiet_hours(request.created_by, now, zone),
        )
    return asked


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
