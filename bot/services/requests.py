"""Shortage requests: the rules for posting, who is asked, cancelling, and closing when the last slot passed."""

from __future__ import annotations

import enum
import itertools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, raiseload, selectinload

from bot.services import audit
from bot.services.availability import in_quiet_hours
from bot.services.dates import DateInputError, validate_request_date
from bot.services.members import member_relations
from bot.services.notices import (
    OfferCardEdit,
    RequestAlert,
    RequestCancelled,
    RequestCancelledBy,
    RequestGroup,
    RequestNew,
    RequestRefresh,
    RequestStatusEdit,
    RequestSuperseded,
)
from bot.services.outbox import enqueue
from bot.services.privacy import PatientDataKind, find_patient_data
from bot.services.text import clean_text, only_control_characters
from db.models import (
    Daypart,
    GroupPost,
    Member,
    Offer,
    OfferStatus,
    OutboxMessage,
    OutboxStatus,
    Practice,
    RequestAlertMessage,
    RequestRecipient,
    RequestSlot,
    RequestStatus,
    Role,
    ShortageRequest,
    Urgency,
)

MAX_NOTE = 500
LAST_ROUND = 4  # the ladder's last round (the region): the coordinators are alerted when it starts
MAX_SLOTS = 20
MAX_DAYS_AHEAD = 90
DAYPART_TIMES: dict[Daypart, tuple[time, time]] = {
    Daypart.OCHTEND: (time(8, 0), time(12, 30)),
    Daypart.MIDDAG: (time(13, 0), time(17, 30)),
}


class NeededRole(enum.StrEnum):
    """What a request asks for: a GP (waarneming) or someone to lend."""

    HUISARTS = "huisarts"
    DOKTERSASSISTENT = "doktersassistent"
    POH_S = "poh-s"
    POH_GGZ = "poh-ggz"
    TRIAGIST = "triagist"
    MEDISCH_STUDENT = "medisch-student"
    ANY_ASSISTANT = "assistent"


# Who can fill what: "any assistant" is a doktersassistent, a triagist or a medical student.
FILLING_ROLES: dict[NeededRole, frozenset[Role]] = {
    NeededRole.HUISARTS: frozenset({Role.HUISARTS}),
    NeededRole.DOKTERSASSISTENT: frozenset({Role.DOKTERSASSISTENT}),
    NeededRole.POH_S: frozenset({Role.POH_S}),
    NeededRole.POH_GGZ: frozenset({Role.POH_GGZ}),
    NeededRole.TRIAGIST: frozenset({Role.TRIAGIST}),
    NeededRole.MEDISCH_STUDENT: frozenset({Role.MEDISCH_STUDENT}),
    NeededRole.ANY_ASSISTANT: frozenset({Role.DOKTERSASSISTENT, Role.TRIAGIST, Role.MEDISCH_STUDENT}),
}


class RequestError(ValueError):
    """A request that cannot be posted as it is; `code` says why, for a translated message."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class SlotInput:
    """One slot as chosen: a day with a day-part, or with exact local times."""

    day: date
    daypart: Daypart
    start: time
    end: time

    @classmethod
    def for_daypart(cls, day: date, daypart: Daypart) -> SlotInput:
        """A named day-part with its usual hours."""
        start, end = DAYPART_TIMES[daypart]
        return cls(day, daypart, start, end)


def check_note(note: str | None, today: date) -> str | None:
    """A note is logistics only: at most 500 characters, nothing that looks like patient data."""
    typed = note or ""
    note = clean_text(typed).strip()
    if not note:
        if only_control_characters(typed, note):
            raise RequestError("only_control_characters")
        return None
    if len(note) > MAX_NOTE:
        raise RequestError("note_too_long")
    found = find_patient_data(note, today, phone_numbers=True)
    if found is PatientDataKind.PHONE:
        raise RequestError("phone_number")
    if found is not None:
        raise RequestError("patient_data")
    return note


def check_urgency(urgency: Urgency, days: list[date], today: date) -> None:
    """Spoed is for today or tomorrow, every day of it: people are told at once, also at night, which later days
    do not warrant (a request for both is two requests: a spoed one, and a normaal one for the later days)."""
    if urgency is Urgency.SPOED and max(days) > today + timedelta(days=1):
        raise RequestError("spoed_too_late")


def slot_times(slot: SlotInput, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Local day and times to aware datetimes (stored as UTC)."""
    return datetime.combine(slot.day, slot.start, zone), datetime.combine(slot.day, slot.end, zone)


def check_slots(slots: list[SlotInput], *, now: datetime, zone: ZoneInfo) -> None:
    """Slots must exist, be few enough, lie ahead within 90 days, and not overlap each other."""
    if not slots:
        raise RequestError("no_slots")
    if len(slots) > MAX_SLOTS:
        raise RequestError("too_many_slots")
    today = now.astimezone(zone).date()
    spans = []
    for slot in slots:
        try:
            validate_request_date(slot.day, today, MAX_DAYS_AHEAD)
        except DateInputError as exc:
            raise RequestError(exc.code) from None
        if slot.end <= slot.start:
            raise RequestError("end_before_start")
        start, end = slot_times(slot, zone)
        if end <= now:
            raise RequestError("slot_past")
        spans.append((start, end))
    spans.sort()
    for (_s1, e1), (s2, _e2) in itertools.pairwise(spans):
        if s2 < e1:
            raise RequestError("slots_overlap")


async def send_copy(
    session: AsyncSession,
    *,
    now: datetime,
    recipient: RequestRecipient,
    due_at: datetime | None = None,
    again: bool = False,
) -> None:
    """Queue a fresh copy of the request for one person asked; it is rendered when it is sent. An older copy
    is replaced by a pointer, so that only one copy keeps buttons and stays up to date."""
    # A copy still waiting to go out (quiet hours) is replaced, not joined by a second one; the delivered copy
    # before it was pointed at that one already.
    waiting = await session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.recipient_id == recipient.id,
            OutboxMessage.kind == RequestNew.kind,
            OutboxMessage.status == OutboxStatus.PENDING,
        )
    )
    replaced = bool(getattr(waiting, "rowcount", 0))
    if recipient.message_id is not None and not replaced:
        await enqueue(
            session,
            now=now,
            notice=RequestSuperseded(request_id=recipient.request_id, message_id=recipient.message_id, again=again),
            chat_id=recipient.chat_id,
            member_id=recipient.member_id,
            due_at=due_at,  # pointed to the new copy when that one arrives, not hours before
        )
    await enqueue(
        session,
        now=now,
        notice=RequestNew(request_id=recipient.request_id),
        chat_id=recipient.chat_id,
        member_id=recipient.member_id,
        recipient_id=recipient.id,
        due_at=due_at,
    )


async def save_request(
    session: AsyncSession,
    *,
    now: datetime,
    zone: ZoneInfo,
    author: Member,
    practice: Practice,
    role_needed: NeededRole,
    urgency: Urgency,
    slots: list[SlotInput],
    note: str | None,
) -> ShortageRequest:
    """Check and save a request; who is asked is the ladder's business (bot/services/ladder.py)."""
    today = now.astimezone(zone).date()
    check_slots(slots, now=now, zone=zone)
    check_urgency(urgency, [s.day for s in slots], today)
    clean_note = check_note(note, today)
    slot_rows = []
    for slot in sorted(slots, key=lambda s: (s.day, s.start)):
        start, end = slot_times(slot, zone)
        slot_rows.append(RequestSlot(day=slot.day, daypart=slot.daypart, start_at=start, end_at=end))
    request = ShortageRequest(
        region_id=practice.region_id,
        practice_id=practice.id,
        wijk_id=practice.wijk_id,
        created_by_member_id=author.id,
        role_needed=role_needed.value,
        urgency=urgency,
        note=clean_note,
        status=RequestStatus.OPEN,
        created_at=now,
        ends_at=max(row.end_at for row in slot_rows),
        slots=slot_rows,
    )
    session.add(request)
    await session.flush()
    await audit.record(
        session,
        at=now,
        action="request.posted",
        region_id=request.region_id,
        actor_member_id=author.id,
        subject_type="request",
        subject_id=request.id,
        details={
            "role": role_needed.value,
            "urgency": urgency.value,
            "slots": len(slot_rows),
        },
    )
    return request


async def load_request(session: AsyncSession, request_id: int | None) -> ShortageRequest | None:
    """A request with its practice, wijk, author, slots and offers (with their members and slots)."""
    if request_id is None:
        return None
    return await session.scalar(
        select(ShortageRequest)
        .where(ShortageRequest.id == request_id)
        .options(
            selectinload(ShortageRequest.practice).selectinload(Practice.wijk),
            selectinload(ShortageRequest.wijk),
            selectinload(ShortageRequest.created_by).options(*member_relations()),
            selectinload(ShortageRequest.slots),
            selectinload(ShortageRequest.offers).selectinload(Offer.member).options(*member_relations()),
            selectinload(ShortageRequest.offers).selectinload(Offer.slot_rows),
        )
        # Fresh from the database every time: guarded UPDATEs elsewhere bypass the identity map. Everything a
        # caller touches is in the options above, so nothing is left to lazy-load.
        .execution_options(populate_existing=True)
    )


async def load_request_slots(session: AsyncSession, request_id: int | None) -> ShortageRequest | None:
    """A request with its practice, wijk, author and slots (at most MAX_SLOTS), without its offers: what a press
    on a copy needs, the same however many offers and copies there are. Touching `offers` raises."""
    if request_id is None:
        return None
    found = await session.scalars(
        select(ShortageRequest)
        .where(ShortageRequest.id == request_id)
        .options(
            # All in the request's own query: the one-to-ones, and the slots (a handful, MAX_SLOTS at most), so
            # every press on a copy and every notice about a request reads it in one statement.
            joinedload(ShortageRequest.practice).joinedload(Practice.wijk),
            joinedload(ShortageRequest.wijk),
            joinedload(ShortageRequest.created_by),
            joinedload(ShortageRequest.slots),
            raiseload(ShortageRequest.offers),
        )
        .execution_options(populate_existing=True)
    )
    return found.unique().one_or_none()


async def refresh_recipients(session: AsyncSession, *, now: datetime, request: ShortageRequest) -> None:
    """Have every delivered copy of the request, and its posts in wijk groups, edited to its current state,
    so nobody offers in vain."""
    await refresh_group_posts(session, now=now, request=request)
    recipients = await session.scalars(
        select(RequestRecipient).where(
            RequestRecipient.request_id == request.id, RequestRecipient.message_id.is_not(None)
        )
    )
    for recipient in recipients:
        assert recipient.message_id is not None
        await enqueue(
            session,
            now=now,
            notice=RequestRefresh(request_id=request.id, message_id=recipient.message_id),
            chat_id=recipient.chat_id,
            member_id=recipient.member_id,
            recipient_id=recipient.id,
        )
    await refresh_status(session, now=now, request=request)
    await refresh_alerts(session, now=now, request=request)


async def refresh_alerts(session: AsyncSession, *, now: datetime, request: ShortageRequest) -> None:
    """Have the coordinators' alerts about the request edited to where it stands (only a request that reached
    the last round has any: no query for the others)."""
    if request.round < LAST_ROUND:
        return
    alerts = await session.scalars(
        select(RequestAlertMessage).where(
            RequestAlertMessage.request_id == request.id, RequestAlertMessage.message_id.is_not(None)
        )
    )
    for alert in alerts:
        notice = RequestAlert(request_id=request.id, alert_id=alert.id, message_id=alert.message_id)
        await enqueue(session, now=now, notice=notice, chat_id=alert.chat_id, member_id=alert.member_id)


async def refresh_group_posts(session: AsyncSession, *, now: datetime, request: ShortageRequest) -> None:
    """Have the request's posts in wijk groups edited to its current state (its days, what is filled)."""
    posts = await session.scalars(
        select(GroupPost).where(GroupPost.request_id == request.id, GroupPost.message_id.is_not(None))
    )
    for post in posts:
        await enqueue(
            session,
            now=now,
            notice=RequestGroup(request_id=request.id, group_post_id=post.id, message_id=post.message_id),
            chat_id=post.chat_id,
        )


async def refresh_copy_of(session: AsyncSession, *, now: datetime, request_id: int, member_id: int) -> None:
    """Have one person's delivered copy of the request edited to its current state (their offer was decided)."""
    recipient = await session.scalar(
        select(RequestRecipient).where(
            RequestRecipient.request_id == request_id,
            RequestRecipient.member_id == member_id,
            RequestRecipient.message_id.is_not(None),
        )
    )
    if recipient is None or recipient.message_id is None:
        return
    await enqueue(
        session,
        now=now,
        notice=RequestRefresh(request_id=request_id, message_id=recipient.message_id),
        chat_id=recipient.chat_id,
        member_id=recipient.member_id,
        recipient_id=recipient.id,
    )


async def refresh_offer_card(
    session: AsyncSession, *, now: datetime, request: ShortageRequest, offer: Offer, decided_by: Member | None = None
) -> None:
    """Have the requester's card of the offer edited to what became of it (`decided_by`: someone other than the
    requester decided, from /mijnverzoeken)."""
    requester = request.created_by  # loaded with the request (load_request): no query per offer
    if offer.card_message_id is None or requester is None or requester.deleted_at is not None:
        return
    notice = OfferCardEdit(
        request_id=request.id,
        offer_id=offer.id,
        message_id=offer.card_message_id,
        decided_by=decided_by.id if decided_by is not None else None,
    )
    await enqueue(session, now=now, notice=notice, chat_id=requester.telegram_user_id, member_id=requester.id)


async def refresh_status(session: AsyncSession, *, now: datetime, request: ShortageRequest) -> None:
    """Have the requester's status message edited to where the request stands (the renderer skips it when it
    already shows that). Not after a hand-over: the message is in the chat of the one who left."""
    if request.status_message_id is None or request.created_by_member_id is None:
        return
    chat_id = await session.scalar(
        select(Member.telegram_user_id).where(Member.id == request.created_by_member_id, Member.deleted_at.is_(None))
    )
    if chat_id is None:
        return
    await enqueue(
        session,
        now=now,
        notice=RequestStatusEdit(request_id=request.id, message_id=request.status_message_id),
        chat_id=chat_id,
        member_id=request.created_by_member_id,
    )


async def record_status_message(session: AsyncSession, request_id: int, message_id: int, shown: str) -> None:
    """The requester's status message of a new request, and what it shows (one UPDATE)."""
    await session.execute(
        update(ShortageRequest)
        .where(ShortageRequest.id == request_id)
        .values(status_message_id=message_id, status_digest=shown)
        .execution_options(synchronize_session=False)
    )


async def waiting_copies(session: AsyncSession, request_id: int, now: datetime) -> tuple[int, datetime | None]:
    """How many copies of the request wait for the end of someone's quiet hours, and when the last goes (SQL)."""
    count, latest = (
        await session.execute(
            select(func.count(), func.max(OutboxMessage.next_attempt_at))
            .select_from(OutboxMessage)
            .join(RequestRecipient, RequestRecipient.id == OutboxMessage.recipient_id)
            .where(
                RequestRecipient.request_id == request_id,
                OutboxMessage.kind == RequestNew.kind,
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.next_attempt_at > now,
            )
        )
    ).one()
    return int(count or 0), latest


async def count_asked(session: AsyncSession, request_id: int) -> int:
    """How many people the request was sent to so far (counted in SQL)."""
    asked = select(func.count()).select_from(RequestRecipient).where(RequestRecipient.request_id == request_id)
    return int(await session.scalar(asked) or 0)


class CancelReason(enum.StrEnum):
    """Why a request was cancelled; fixed choices keep free text (and patient data) out."""

    SOLVED_INTERNALLY = "solved"
    NOT_NEEDED = "not_needed"
    MISTAKE = "mistake"
    # Set by the bot, never offered as a choice: the poster deleted their data and nobody could take it over.
    POSTER_LEFT = "poster_left"


CHOSEN_REASONS = (CancelReason.SOLVED_INTERNALLY, CancelReason.NOT_NEEDED, CancelReason.MISTAKE)


async def cancel_request(
    session: AsyncSession, *, now: datetime, member: Member, request: ShortageRequest, reason: CancelReason
) -> bool:
    """Cancel an open request; everyone who offered or was accepted is told. False if it was not open."""
    changed = await session.execute(
        update(ShortageRequest)
        .where(
            ShortageRequest.id == request.id,
            ShortageRequest.status.in_([RequestStatus.OPEN, RequestStatus.FILLED]),
            ShortageRequest.ends_at > now,  # a request that has run its course is history, not cancellable
        )
        .values(status=RequestStatus.CANCELLED, cancel_reason=reason.value, closed_at=now)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    for offer in request.offers:
        if offer.status in (OfferStatus.PENDING, OfferStatus.ACCEPTED) and offer.member is not None:
            await enqueue(
                session,
                now=now,
                notice=RequestCancelled(request_id=request.id, offer_id=offer.id),
                chat_id=offer.member.telegram_user_id,
                member_id=offer.member_id,
            )
            offer.status = OfferStatus.CANCELLED
            offer.decided_at = now
            await refresh_offer_card(session, now=now, request=request, offer=offer)  # no live Accept left
    await refresh_recipients(session, now=now, request=request)
    requester = request.created_by
    if requester is not None and requester.id != member.id and requester.deleted_at is None:
        await enqueue(
            session,
            now=now,
            notice=RequestCancelledBy(request_id=request.id, actor_member_id=member.id),
            chat_id=requester.telegram_user_id,
            member_id=requester.id,
        )
    await audit.record(
        session,
        at=now,
        action="request.cancelled",
        region_id=request.region_id,
        actor_member_id=member.id,
        subject_type="request",
        subject_id=request.id,
        details={"reason": reason.value},
    )
    return True


async def close_past_requests(session: AsyncSession, *, now: datetime) -> list[int]:
    """Open requests whose last slot has ended close by themselves (filled ones stay filled); returns their ids.
    One guarded UPDATE: of two workers sweeping at once, each request is closed (and its copies refreshed) by one."""
    ids = list(
        await session.scalars(
            update(ShortageRequest)
            .where(ShortageRequest.status == RequestStatus.OPEN, ShortageRequest.ends_at <= now)
            .values(status=RequestStatus.CLOSED, closed_at=now)
            .returning(ShortageRequest.id)
            .execution_options(synchronize_session=False)
        )
    )
    if ids:
        await session.execute(
            update(Offer)
            .where(Offer.request_id.in_(ids), Offer.status == OfferStatus.PENDING)
            .values(status=OfferStatus.MOOT, decided_at=now)
        )
    return ids


async def practice_requests(session: AsyncSession, *, practice_id: int, now: datetime) -> list[ShortageRequest]:
    """Open requests and those of the last 14 days, newest first."""
    since = now - timedelta(days=14)
    ids = list(
        await session.scalars(
            select(ShortageRequest.id)
            .where(
                ShortageRequest.practice_id == practice_id,
                (ShortageRequest.status == RequestStatus.OPEN) | (ShortageRequest.created_at >= since),
            )
            .order_by(ShortageRequest.id.desc())
            .limit(10)
        )
    )
    found = [await load_request(session, request_id) for request_id in ids]
    return [request for request in found if request is not None]


async def add_slots(
    session: AsyncSession,
    *,
    now: datetime,
    zone: ZoneInfo,
    member: Member,
    request: ShortageRequest,
    slots: list[SlotInput],
) -> int:
    """Add days to a request that is still running (sick leave gets longer); everyone asked gets a fresh
    copy, including those who could not help on the first days."""
    if request.status not in (RequestStatus.OPEN, RequestStatus.FILLED) or request.ends_at <= now:
        raise RequestError("not_open")
    check_slots(slots, now=now, zone=zone)
    try:
        check_urgency(request.urgency, [slot.day for slot in slots], now.astimezone(zone).date())
    except RequestError:
        raise RequestError("spoed_days_added") from None  # its urgency is not asked again: say what to do
    if len(request.slots) + len(slots) > MAX_SLOTS:
        raise RequestError("too_many_slots")
    new = []
    for slot in slots:
        start, end = slot_times(slot, zone)
        if any(start < old.end_at and old.start_at < end for old in request.slots):
            raise RequestError("slots_overlap")
        new.append(RequestSlot(day=slot.day, daypart=slot.daypart, start_at=start, end_at=end, added_at=now))
    request.slots.extend(new)
    request.ends_at = max(request.ends_at, *(row.end_at for row in new))
    request.status = RequestStatus.OPEN
    await session.flush()
    asked = await session.execute(
        select(RequestRecipient, Member)
        .join(Member, Member.id == RequestRecipient.member_id)
        .where(RequestRecipient.request_id == request.id)
    )
    told = 0
    for recipient, person in asked:
        recipient.declined = False
        told += 1
        if recipient.message_id is None:
            continue  # their copy is still waiting (quiet hours): it is rendered when it goes, new days and all
        due = None if request.urgency == Urgency.SPOED else in_quiet_hours(person, now, zone)
        await send_copy(session, now=now, recipient=recipient, due_at=due)
    # The fresh copies show the new days; so must the wijk groups' posts and the requester's status message.
    await refresh_group_posts(session, now=now, request=request)
    await refresh_status(session, now=now, request=request)
    await audit.record(
        session,
        at=now,
        action="request.days_added",
        region_id=request.region_id,
        actor_member_id=member.id,
        subject_type="request",
        subject_id=request.id,
        details={"slots": len(new)},
    )
    return told
