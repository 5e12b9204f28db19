"""Offers: offering for (part of) a request, accepting one (in one transaction), declining, withdrawing."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from bot.permissions import may_act_for_request
from bot.services import audit
from bot.services.members import one_member_relations
from bot.services.notices import (
    OfferAccepted,
    OfferDeclined,
    OfferFilledByOther,
    OfferReceived,
    OfferWithdrawn,
)
from bot.services.outbox import enqueue
from bot.services.requests import (
    MAX_SLOTS,
    load_request,
    refresh_copy_of,
    refresh_offer_card,
    refresh_recipients,
)
from db.models import (
    Member,
    Offer,
    OfferSlot,
    OfferStatus,
    RequestRecipient,
    RequestSlot,
    RequestStatus,
    ShortageRequest,
)


class Outcome(enum.StrEnum):
    """What happened; the handler turns it into words."""

    OK = "ok"
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"
    OWN_PRACTICE = "own_practice"
    REQUEST_CLOSED = "request_closed"
    ALREADY_FILLED = "already_filled"
    ALREADY_OFFERED = "already_offered"
    DOUBLE_BOOKED = "double_booked"
    HELPER_BOOKED = "helper_booked"  # the requester's view of DOUBLE_BOOKED
    STALE = "stale"
    TOO_LATE = "too_late"


@dataclass
class HelperView:
    """What the helper's own copy shows after their offer, as read while making it: their record as a recipient,
    their offers (the new one last) and the request's open slots they are booked for elsewhere."""

    recipient: RequestRecipient
    mine: list[Offer]
    booked: list[RequestSlot]


@dataclass
class Result:
    """The outcome and, when something happened, the offer and the slots concerned."""

    outcome: Outcome
    offer: Offer | None = None
    slots: list[RequestSlot] = field(default_factory=list)
    helper: HelperView | None = None  # make_offer: the helper's copy as the offer leaves it


# Offers still standing: while a helper has one, they may offer only for days added to the request since.
LIVE = (OfferStatus.PENDING, OfferStatus.ACCEPTED)
# Offers whose slots the helper has answered (a withdrawn one frees them; a lapsed one was about filled slots).
ANSWERED = (OfferStatus.PENDING, OfferStatus.ACCEPTED, OfferStatus.DECLINED)


def open_slots(request: ShortageRequest, now: datetime) -> list[RequestSlot]:
    """Slots nobody fills yet that have not ended."""
    return [slot for slot in request.slots if slot.filled_offer_id is None and slot.end_at > now]


def offerable_slots(
    request: ShortageRequest, mine: list[Offer], now: datetime, booked: list[RequestSlot] | None = None
) -> list[RequestSlot]:
    """The slots this person may offer for now: every open one before their first offer; after it, the open
    ones added to the request since, that no offer of theirs covers (so they see each day once). Never the
    ones they are `booked` for elsewhere (booked_slots)."""
    still_open = [slot for slot in open_slots(request, now) if slot not in (booked or [])]
    if not mine:
        return still_open
    counted = [offer for offer in mine if offer.status in LIVE] or mine
    first = min(offer.created_at for offer in counted)
    covered = {row.slot_id for offer in counted if offer.status in ANSWERED for row in offer.slot_rows}
    return [s for s in still_open if s.id not in covered and s.added_at is not None and s.added_at >= first]


async def booked_spans(
    session: AsyncSession, member_id: int, *, exclude_offer: int | None = None
) -> list[tuple[datetime, datetime]]:
    """The times a member is already booked for, on any request."""
    rows = await session.execute(
        select(RequestSlot.start_at, RequestSlot.end_at)
        .join(Offer, Offer.id == RequestSlot.filled_offer_id)
        .where(Offer.member_id == member_id, Offer.status == OfferStatus.ACCEPTED, Offer.id != (exclude_offer or 0))
    )
    return [(start, end) for start, end in rows.all()]


async def booked_slots(session: AsyncSession, request: ShortageRequest, member_id: int) -> list[RequestSlot]:
    """The request's open slots this member is booked for elsewhere at the same time (one query)."""
    spans = await booked_spans(session, member_id)
    return [slot for slot in request.slots if slot.filled_offer_id is None and overlaps(slot, spans)]


def overlaps(slot: RequestSlot, spans: list[tuple[datetime, datetime]]) -> bool:
    """Whether a slot overlaps any of the spans."""
    return any(slot.start_at < end and start < slot.end_at for start, end in spans)


def _why_not_offer(
    request: ShortageRequest,
    member: Member,
    recipient: RequestRecipient | None,
    mine: list[Offer],
    slot_ids: list[int] | None,
    now: datetime,
) -> Outcome | list[int] | None:
    """Why this member may not offer on this request now, or the slots they may offer for after an earlier
    offer (only days added since), or None: any open slot."""
    if member.practice_id == request.practice_id:
        return Outcome.OWN_PRACTICE
    if recipient is None:
        return Outcome.NOT_ALLOWED
    if request.status != RequestStatus.OPEN:
        return Outcome.REQUEST_CLOSED
    if slot_ids is not None and not set(slot_ids) <= {slot.id for slot in request.slots}:
        return Outcome.NOT_FOUND
    if not any(offer.status in LIVE for offer in mine):
        return None  # nothing standing: they may offer again (after a decline, a lapse, a withdrawal)
    allowed = [slot.id for slot in offerable_slots(request, mine, now)]
    if not allowed or (slot_ids is not None and not set(slot_ids) <= set(allowed)):
        return Outcome.ALREADY_OFFERED
    return allowed if slot_ids is None else slot_ids


async def own_offers(session: AsyncSession, request_id: int, member_id: int) -> list[Offer]:
    """The member's offers on the request that their copy shows (not withdrawn), oldest first, with their slot
    rows: one for the first days and at most one per later addition of days."""
    found = await session.scalars(
        select(Offer)
        .where(Offer.request_id == request_id, Offer.member_id == member_id, Offer.status != OfferStatus.WITHDRAWN)
        .options(selectinload(Offer.slot_rows))
        .order_by(Offer.id)
        .limit(MAX_SLOTS)
    )
    return list(found)


async def load_offer(session: AsyncSession, request_id: int, offer_id: int) -> Offer | None:
    """One offer on the request, with its member (roles, practice) and slot rows, fresh; the other offers are
    not read (a notice about one offer costs the same however many there are)."""
    found = await session.scalars(
        select(Offer)
        .where(Offer.id == offer_id, Offer.request_id == request_id)
        # The helper (and their roles) joined into the offer's query; the slot rows in one more (joined too, they
        # would multiply with the roles).
        .options(joinedload(Offer.member).options(*one_member_relations()), selectinload(Offer.slot_rows))
        .execution_options(populate_existing=True)
    )
    return found.unique().one_or_none()


def _slots_to_offer(
    request: ShortageRequest, slot_ids: list[int] | None, spans: list[tuple[datetime, datetime]], now: datetime
) -> list[RequestSlot] | Outcome:
    """The open slots asked for that the member is not booked for elsewhere (`spans`), or why there are none."""
    available = [s for s in open_slots(request, now) if slot_ids is None or s.id in slot_ids]
    if not available:
        return Outcome.ALREADY_FILLED
    chosen = [slot for slot in available if not overlaps(slot, spans)]
    return chosen or Outcome.DOUBLE_BOOKED


async def make_offer(
    session: AsyncSession,
    *,
    now: datetime,
    member: Member | None,
    request: ShortageRequest | None,
    slot_ids: list[int] | None,
) -> Result:
    """Offer for all open slots (slot_ids None) or some; only people the request was sent to may offer. The
    request comes with its slots (load_request_slots, in this transaction); reads the presser's own rows and
    bookings: the same work however many offered. The result carries what the presser's copy shows now."""
    if request is None or member is None:
        return Result(Outcome.NOT_FOUND if request is None else Outcome.NOT_ALLOWED)
    recipient = await recipient_of(session, request.id, member.id)
    mine = await own_offers(session, request.id, member.id) if recipient is not None else []
    refused = _why_not_offer(request, member, recipient, mine, slot_ids, now)
    if isinstance(refused, Outcome):
        return Result(refused)
    assert recipient is not None  # not refused
    slot_ids = refused if refused is not None else slot_ids
    spans = await booked_spans(session, member.id)
    chosen = _slots_to_offer(request, slot_ids, spans, now)
    if isinstance(chosen, Outcome):
        return Result(chosen)
    offer = Offer(
        request_id=request.id,
        member_id=member.id,
        status=OfferStatus.PENDING,
        created_at=now,
        slot_rows=[OfferSlot(slot_id=slot.id) for slot in chosen],
    )
    session.add(offer)
    await session.flush()
    if request.created_by is not None:
        await enqueue(
            session,
            now=now,
            notice=OfferReceived(request_id=request.id, offer_id=offer.id),
            chat_id=request.created_by.telegram_user_id,
            member_id=request.created_by.id,
        )
    await audit.record(
        session,
        at=now,
        action="offer.made",
        region_id=request.region_id,
        actor_member_id=member.id,
        subject_type="offer",
        subject_id=offer.id,
        details={"request_id": request.id, "slots": len(chosen)},
    )
    booked = [slot for slot in request.slots if slot.filled_offer_id is None and overlaps(slot, spans)]
    return Result(Outcome.OK, offer, chosen, helper=HelperView(recipient, [*mine, offer], booked))


async def recipient_of(session: AsyncSession, request_id: int, member_id: int) -> RequestRecipient | None:
    """The record of this request having been sent to this member, if it was."""
    return await session.scalar(
        select(RequestRecipient).where(
            RequestRecipient.request_id == request_id, RequestRecipient.member_id == member_id
        )
    )


async def decline_request(session: AsyncSession, *, member: Member | None, request_id: int) -> Result:
    """ "Kan niet": remember it, so the copy can say so; nothing else changes."""
    if member is None:
        return Result(Outcome.NOT_ALLOWED)
    recipient = await recipient_of(session, request_id, member.id)
    if recipient is None:
        return Result(Outcome.NOT_ALLOWED)
    recipient.declined = True
    return Result(Outcome.OK)


async def _lock_member(session: AsyncSession, member_id: int) -> None:
    """Serialise bookings of one person (PostgreSQL row lock; SQLite transactions are serial already)."""
    # FOR NO KEY UPDATE: it serialises two bookings of one person, yet does not block the KEY SHARE lock that
    # an outbox row referencing the member takes (FOR UPDATE did: a concurrent accept deadlocked on PostgreSQL).
    await session.execute(select(Member.id).where(Member.id == member_id).with_for_update(key_share=True))


async def _fill_slots(
    session: AsyncSession, *, now: datetime, request: ShortageRequest, offer: Offer, helper_id: int
) -> tuple[list[RequestSlot], bool]:
    """Fill the offer's slots still ahead that nobody filled first; also whether some clashed with another
    booking of the helper."""
    await _lock_member(session, helper_id)
    spans = await booked_spans(session, helper_id)
    wanted = {row.slot_id for row in offer.slot_rows}
    filled: list[RequestSlot] = []
    double_booked = False
    for slot in request.slots:
        if slot.id not in wanted or slot.end_at <= now:
            continue
        if overlaps(slot, spans):
            double_booked = True
        elif await _claim_slot(session, slot, offer.id):
            filled.append(slot)
            spans.append((slot.start_at, slot.end_at))
    return filled, double_booked


async def _decide(session: AsyncSession, offer: Offer, *, was: OfferStatus, to: OfferStatus, now: datetime) -> bool:
    """Move the offer from `was` to `to`, guarded: of two decisions at once (a colleague's decline in
    /mijnverzoeken and the requester's accept, or the helper withdrawing meanwhile) only one goes through."""
    moved = await session.execute(
        update(Offer)
        .where(Offer.id == offer.id, Offer.status == was)
        .values(status=to, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        return False
    set_committed_value(offer, "status", to)
    set_committed_value(offer, "decided_at", now)
    return True


async def _release(session: AsyncSession, offer: Offer, slots: list[RequestSlot]) -> None:
    """Give back the slots this accept claimed for an offer that turned out to be decided already."""
    await session.execute(
        update(RequestSlot)
        .where(RequestSlot.filled_offer_id == offer.id)
        .values(filled_offer_id=None)
        .execution_options(synchronize_session=False)
    )
    for slot in slots:
        set_committed_value(slot, "filled_offer_id", None)


async def _claim_slot(session: AsyncSession, slot: RequestSlot, offer_id: int) -> bool:
    """The guarded update is the race's referee: only one accept fills a slot."""
    won = await session.execute(
        update(RequestSlot)
        .where(RequestSlot.id == slot.id, RequestSlot.filled_offer_id.is_(None))
        .values(filled_offer_id=offer_id)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        return False
    set_committed_value(slot, "filled_offer_id", offer_id)  # what the UPDATE wrote, without a reload
    return True


async def _nothing_left(
    session: AsyncSession, *, now: datetime, request: ShortageRequest, offer: Offer, double_booked: bool
) -> Result:
    """Every slot of the offer was taken (or clashed): the offer is moot and the helper hears it too, instead of
    waiting for an answer that never comes (unless it was decided meanwhile: the accept that filled the slots made
    it moot and told them already)."""
    if not await _decide(session, offer, was=OfferStatus.PENDING, to=OfferStatus.MOOT, now=now):
        return Result(Outcome.STALE, offer)
    helper = await session.get(Member, offer.member_id)
    if helper is not None:
        await enqueue(
            session,
            now=now,
            notice=OfferFilledByOther(request_id=request.id, offer_id=offer.id, booked_elsewhere=double_booked),
            chat_id=helper.telegram_user_id,
            member_id=helper.id,
        )
    return Result(Outcome.HELPER_BOOKED if double_booked else Outcome.ALREADY_FILLED, offer)


async def _offer_and_request(session: AsyncSession, offer_id: int) -> tuple[Offer, ShortageRequest] | None:
    """The offer and its request (as load_request loads it), or None if either is gone."""
    offer = await session.get(Offer, offer_id)
    if offer is None:
        return None
    request = await load_request(session, offer.request_id)
    return None if request is None else (offer, request)


async def accept_offer(session: AsyncSession, *, now: datetime, member: Member | None, offer_id: int) -> Result:
    """Accept an offer in one transaction: each slot is filled at most once, the helper is never booked
    twice for overlapping times, and everyone concerned is told through the outbox."""
    found = await _offer_and_request(session, offer_id)
    if found is None:
        return Result(Outcome.NOT_FOUND)
    offer, request = found
    if not may_act_for_request(member, request):
        return Result(Outcome.NOT_ALLOWED)
    if offer.status != OfferStatus.PENDING or offer.member_id is None:
        return Result(Outcome.STALE, offer)
    if request.status != RequestStatus.OPEN:
        return Result(Outcome.REQUEST_CLOSED, offer)
    # The slots first, then the offer (the order every accept takes its locks in, so two accepts never deadlock);
    # a decline or withdrawal that got the offer first leaves it, and the slots go back.
    filled, double_booked = await _fill_slots(session, now=now, request=request, offer=offer, helper_id=offer.member_id)
    if not filled:
        return await _nothing_left(session, now=now, request=request, offer=offer, double_booked=double_booked)
    if not await _decide(session, offer, was=OfferStatus.PENDING, to=OfferStatus.ACCEPTED, now=now):
        await _release(session, offer, filled)
        return Result(Outcome.STALE, offer)
    if not open_slots(request, now):
        request.status = RequestStatus.FILLED
    helper = await session.get(Member, offer.member_id)
    assert helper is not None
    await enqueue(
        session,
        now=now,
        notice=OfferAccepted(request_id=request.id, offer_id=offer.id),
        chat_id=helper.telegram_user_id,
        member_id=helper.id,
    )
    await _tell_other_offerers(session, now=now, request=request, accepted=offer)
    await refresh_recipients(session, now=now, request=request)
    await audit.record(
        session,
        at=now,
        action="offer.accepted",
        region_id=request.region_id,
        actor_member_id=member.id if member else None,
        subject_type="offer",
        subject_id=offer.id,
        details={"request_id": request.id, "slots": [slot.id for slot in filled]},
    )
    return Result(Outcome.OK, offer, filled)


async def _tell_other_offerers(
    session: AsyncSession, *, now: datetime, request: ShortageRequest, accepted: Offer
) -> None:
    """Pending offers whose slots are now all taken become moot, and their makers are told."""
    filled = {slot.id for slot in request.slots if slot.filled_offer_id is not None}
    for other in request.offers:
        if other.id == accepted.id or other.status != OfferStatus.PENDING or other.member is None:
            continue
        if {row.slot_id for row in other.slot_rows} <= filled:
            other.status = OfferStatus.MOOT
            other.decided_at = now
            await refresh_offer_card(session, now=now, request=request, offer=other)
            await enqueue(
                session,
                now=now,
                notice=OfferFilledByOther(request_id=request.id, offer_id=other.id),
                chat_id=other.member.telegram_user_id,
                member_id=other.member_id,
            )


async def decline_offer(session: AsyncSession, *, now: datetime, member: Member | None, offer_id: int) -> Result:
    """The requester says no thanks; the offerer is told kindly."""
    found = await _offer_and_request(session, offer_id)
    if found is None:
        return Result(Outcome.NOT_FOUND)
    offer, request = found
    if not may_act_for_request(member, request):
        return Result(Outcome.NOT_ALLOWED)
    if not await _decide(session, offer, was=OfferStatus.PENDING, to=OfferStatus.DECLINED, now=now):
        return Result(Outcome.STALE, offer)
    helper = await session.get(Member, offer.member_id) if offer.member_id else None
    if helper is not None:
        await enqueue(
            session,
            now=now,
            notice=OfferDeclined(request_id=request.id, offer_id=offer.id),
            chat_id=helper.telegram_user_id,
            member_id=helper.id,
        )
        # Their copy said "you offered to help": it now says the offer was declined.
        await refresh_copy_of(session, now=now, request_id=request.id, member_id=helper.id)
    await audit.record(
        session,
        at=now,
        action="offer.declined",
        region_id=request.region_id,
        actor_member_id=member.id if member else None,
        subject_type="offer",
        subject_id=offer.id,
        details={"request_id": request.id},
    )
    return Result(Outcome.OK, offer)


async def withdraw_offer(session: AsyncSession, *, now: datetime, member: Member | None, offer_id: int) -> Result:
    """The helper withdraws before the date: the requester is told and the slots open again."""
    found = await _offer_and_request(session, offer_id)
    if found is None:
        return Result(Outcome.NOT_FOUND)
    offer, request = found
    if member is None or offer.member_id != member.id:
        return Result(Outcome.NOT_ALLOWED)
    if offer.status not in (OfferStatus.PENDING, OfferStatus.ACCEPTED):
        return Result(Outcome.STALE, offer)
    if request.status not in (RequestStatus.OPEN, RequestStatus.FILLED):
        return Result(Outcome.REQUEST_CLOSED, offer)
    mine = [slot for slot in request.slots if slot.filled_offer_id == offer.id]
    if any(slot.start_at <= now for slot in mine):
        return Result(Outcome.TOO_LATE, offer)
    was_accepted = offer.status == OfferStatus.ACCEPTED
    if not await _decide(session, offer, was=offer.status, to=OfferStatus.WITHDRAWN, now=now):
        return Result(Outcome.STALE, offer)
    await refresh_offer_card(session, now=now, request=request, offer=offer)
    await _reopen(session, now=now, request=request, offer=offer, slots=mine, was_accepted=was_accepted)
    await audit.record(
        session,
        at=now,
        action="offer.withdrawn",
        region_id=request.region_id,
        actor_member_id=member.id,
        subject_type="offer",
        subject_id=offer.id,
        details={"request_id": request.id},
    )
    return Result(Outcome.OK, offer, mine)


async def release_slots_ahead(session: AsyncSession, *, now: datetime, offer_id: int) -> list[int]:
    """A booked helper leaves Wijkhulp while their help is under way: what has begun stays booked, the
    day-parts still ahead open again and the requester is told which. Returns those slots' ids."""
    found = await _offer_and_request(session, offer_id)
    if found is None or found[0].status != OfferStatus.ACCEPTED:
        return []
    offer, request = found
    ahead = [slot for slot in request.slots if slot.filled_offer_id == offer.id and slot.start_at > now]
    if not ahead:
        return []
    await _reopen(session, now=now, request=request, offer=offer, slots=ahead, was_accepted=True, only_these=True)
    return [slot.id for slot in ahead]


async def _reopen(
    session: AsyncSession,
    *,
    now: datetime,
    request: ShortageRequest,
    offer: Offer,
    slots: list[RequestSlot],
    was_accepted: bool,
    only_these: bool = False,
) -> None:
    """The helper's day-parts open again; the requester is told (which ones, if not the whole offer)."""
    for slot in slots:
        slot.filled_offer_id = None
    if request.status == RequestStatus.FILLED:
        request.status = RequestStatus.OPEN
    if request.created_by is not None:
        notice = OfferWithdrawn(
            request_id=request.id,
            offer_id=offer.id,
            was_accepted=was_accepted,
            slot_ids=tuple(slot.id for slot in slots) if only_these else None,
        )
        await enqueue(
            session,
            now=now,
            notice=notice,
            chat_id=request.created_by.telegram_user_id,
            member_id=request.created_by.id,
        )
    if was_accepted:
        await refresh_recipients(session, now=now, request=request)
