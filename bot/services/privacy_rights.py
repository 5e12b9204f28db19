"""The AVG rights beyond the export (bot.services.privacy_export): what /privacy names, and removing a person's
data (/verwijdermij).

Deleting keeps the member row, because requests, offers and the audit log point to it by id and those
practice-level facts stay for the coordinator's figures; the row itself is emptied and unlinked from the
Telegram account, so the same account is a stranger afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.permissions import POSTING_ROLES
from bot.services import audit
from bot.services.members import member_relations
from bot.services.notices import RequestHandedOver
from bot.services.offers import Outcome, release_slots_ahead, withdraw_offer
from bot.services.outbox import enqueue
from bot.services.privacy_export import conversation_rows
from bot.services.requests import CancelReason, cancel_request, load_request
from db.meetings import ActionPoint, CalendarFeed, Meeting, MeetingInvitee, MeetingOccurrence
from db.models import (
    Availability,
    AvailabilityException,
    Member,
    MemberRole,
    Offer,
    OfferStatus,
    OutboxMessage,
    RequestRecipient,
    RequestStatus,
    Role,
    ShortageRequest,
)

# Telegram ids have at most 52 significant bits, so no chat can have an id below this. A deleted member's
# `telegram_user_id` (NOT NULL, unique) becomes UNLINKED_BASE - member.id: unique, and never anyone's.
UNLINKED_BASE = -(2**53)


async def load_member(session: AsyncSession, member_id: int) -> Member | None:
    """A member with roles, region, practice and wijk, fresh from the database."""
    return await session.scalar(
        select(Member)
        .where(Member.id == member_id)
        .options(*member_relations())
        .execution_options(populate_existing=True)
    )


async def coordinators_of(session: AsyncSession, region_id: int) -> list[Member]:
    """The region's coordinators (a deleted member holds no roles, so is never one)."""
    return list(
        await session.scalars(
            select(Member)
            .where(
                Member.region_id == region_id,
                Member.deleted_at.is_(None),
                Member.id.in_(select(MemberRole.member_id).where(MemberRole.role == Role.COORDINATOR)),
            )
            .order_by(Member.display_name, Member.id)
        )
    )


# --- deleting ------------------------------------------------------------------------------------------------


@dataclass
class DeletionPlan:
    """What /verwijdermij will do, for the confirmation question."""

    offers: int  # offers that will be withdrawn (the requesters are told)
    handed_over: int  # running requests a colleague of the practice takes over
    cancelled: int  # running requests nobody can take over: cancelled, the offerers told
    booked: int  # running requests nobody can take over but with help booked: they stay, without a poster
    meetings: int  # upcoming meeting dates whose invitation is removed
    last_coordinator: bool  # nobody else coordinates the region afterwards


@dataclass
class DeletionReport:
    """What /verwijdermij did, by id (for the audit log) and in counts (for the answer)."""

    withdrawn: list[int] = field(default_factory=list)
    kept: list[int] = field(default_factory=list)  # accepted offers whose help has already started
    released: list[int] = field(default_factory=list)  # their day-parts still ahead, open again
    handed_over: list[int] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)
    booked: list[int] = field(default_factory=list)  # no successor, help booked: kept, the poster unlinked
    meetings: int = 0


def _has_booked_help(request: ShortageRequest) -> bool:
    """Help was accepted for some day-part: the request is a fact of those days, and a helper counts on it."""
    return any(offer.status == OfferStatus.ACCEPTED for offer in request.offers)


async def _own_running_requests(session: AsyncSession, member: Member, now: datetime) -> list[ShortageRequest]:
    ids = await session.scalars(
        select(ShortageRequest.id)
        .where(
            ShortageRequest.created_by_member_id == member.id,
            ShortageRequest.status.in_([RequestStatus.OPEN, RequestStatus.FILLED]),
            ShortageRequest.ends_at > now,
        )
        .order_by(ShortageRequest.id)
    )
    found = [await load_request(session, request_id) for request_id in list(ids)]
    return [request for request in found if request is not None]


async def _successor(session: AsyncSession, member: Member, practice_id: int) -> Member | None:
    """A colleague who may already act for the practice's requests: a practice manager first, then a GP."""
    colleagues = await session.scalars(
        select(Member)
        .where(Member.practice_id == practice_id, Member.id != member.id, Member.deleted_at.is_(None))
        .options(*member_relations())
        .order_by(Member.joined_at, Member.id)
    )
    candidates = [c for c in colleagues if c.has_role(*POSTING_ROLES)]
    managers = [c for c in candidates if c.has_role(Role.PRAKTIJKMANAGER)]
    chosen = managers or candidates
    return chosen[0] if chosen else None


async def _open_offers(session: AsyncSession, member: Member) -> list[int]:
    return list(
        await session.scalars(
            select(Offer.id)
            .where(
                Offer.member_id == member.id,
                Offer.status.in_([OfferStatus.PENDING, OfferStatus.ACCEPTED]),
            )
            .order_by(Offer.id)
        )
    )


async def _upcoming_invitations(session: AsyncSession, member: Member, now: datetime) -> list[int]:
    return list(
        await session.scalars(
            select(MeetingInvitee.id)
            .join(MeetingOccurrence, MeetingOccurrence.id == MeetingInvitee.occurrence_id)
            .where(MeetingInvitee.member_id == member.id, MeetingOccurrence.starts_at > now)
        )
    )


async def plan_deletion(session: AsyncSession, *, now: datetime, member: Member) -> DeletionPlan:
    """What deleting would do now; nothing changes."""
    handed_over = cancelled = booked = 0
    for request in await _own_running_requests(session, member, now):
        if await _successor(session, member, request.practice_id) is not None:
            handed_over += 1
        elif _has_booked_help(request):
            booked += 1
        else:
            cancelled += 1
    coordinators = await coordinators_of(session, member.region_id)
    return DeletionPlan(
        offers=len(await _open_offers(session, member)),
        handed_over=handed_over,
        cancelled=cancelled,
        booked=booked,
        meetings=len(await _upcoming_invitations(session, member, now)),
        last_coordinator=member.has_role(Role.COORDINATOR) and all(c.id == member.id for c in coordinators),
    )


async def delete_member(session: AsyncSession, *, now: datetime, member: Member) -> DeletionReport | None:
    """Remove the person's personal data in the caller's transaction; see the module docstring for what stays.
    Offers are withdrawn and running requests handed over or cancelled through the usual services, so
    everyone concerned hears it through the outbox. None if another press got there first."""
    # The guarded update decides between two presses at once (and holds the row lock on PostgreSQL).
    claimed = await session.execute(
        update(Member)
        .where(Member.id == member.id, Member.deleted_at.is_(None))
        .values(deleted_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    report = DeletionReport()
    telegram_user_id = member.telegram_user_id
    for offer_id in await _open_offers(session, member):
        result = await withdraw_offer(session, now=now, member=member, offer_id=offer_id)
        if result.outcome is Outcome.OK:
            report.withdrawn.append(offer_id)
        elif result.outcome is Outcome.TOO_LATE:
            report.kept.append(offer_id)  # the help has begun: it stays booked, as a fact of that day
            report.released += await release_slots_ahead(session, now=now, offer_id=offer_id)
    for request in await _own_running_requests(session, member, now):
        successor = await _successor(session, member, request.practice_id)
        if successor is not None:
            request.created_by_member_id = successor.id
            # The status message and the offer cards are in the leaver's chat; the successor has /mijnverzoeken.
            request.status_message_id = None
            await session.execute(
                update(Offer)
                .where(Offer.request_id == request.id)
                .values(card_message_id=None)
                .execution_options(synchronize_session=False)
            )
            await enqueue(
                session,
                now=now,
                notice=RequestHandedOver(request_id=request.id),
                chat_id=successor.telegram_user_id,
                member_id=successor.id,
            )
            report.handed_over.append(request.id)
        elif _has_booked_help(request):
            # Cancelling would call off a helper who is booked (or at work): the request stays, the
            # practice's coordinator can still act on it, and it no longer points to the person.
            request.created_by_member_id = None
            request.status_message_id = None  # nobody's to edit (refresh_offer_card needs a requester too)
            report.booked.append(request.id)
        elif await cancel_request(session, now=now, member=member, request=request, reason=CancelReason.POSTER_LEFT):
            report.cancelled.append(request.id)
    upcoming = await _upcoming_invitations(session, member, now)
    report.meetings = len(upcoming)
    await session.execute(delete(MeetingInvitee).where(MeetingInvitee.id.in_(upcoming)))
    await _erase(session, member, telegram_user_id)
    fresh = await load_member(session, member.id)
    assert fresh is not None
    _anonymise(fresh, now)
    await session.flush()
    await audit.record(
        session,
        at=now,
        action="member.deleted",
        region_id=fresh.region_id,
        actor_member_id=fresh.id,
        subject_type="member",
        subject_id=fresh.id,
        details={
            "offers_withdrawn": report.withdrawn,
            "offers_kept": report.kept,
            "slots_released": report.released,
            "requests_handed_over": report.handed_over,
            "requests_cancelled": report.cancelled,
            "requests_kept_booked": report.booked,
            "meeting_invitations_removed": report.meetings,
        },
    )
    return report


async def _erase(session: AsyncSession, member: Member, telegram_user_id: int) -> None:
    """Rows that only describe the person go; rows that point at them lose the pointer."""
    mid = member.id
    for statement in (
        delete(Availability).where(Availability.member_id == mid),
        delete(AvailabilityException).where(AvailabilityException.member_id == mid),
        # Messages to them, sent or waiting: a waiting one must not go out, a sent one holds their chat id.
        delete(OutboxMessage).where(OutboxMessage.member_id == mid),
        delete(RequestRecipient).where(RequestRecipient.member_id == mid),
        delete(MemberRole).where(MemberRole.member_id == mid),
        delete(CalendarFeed).where(CalendarFeed.member_id == mid),  # its link must stop at once
    ):
        await session.execute(statement.execution_options(synchronize_session=False))
    for row in await conversation_rows(session, telegram_user_id):
        await session.delete(row)
    # An action point of theirs falls back to their practice; a meeting they organised to the coordinators.
    for point in await session.scalars(select(ActionPoint).where(ActionPoint.owner_member_id == mid)):
        point.owner_member_id = None
    for meeting in await session.scalars(select(Meeting).where(Meeting.created_by_member_id == mid)):
        meeting.created_by_member_id = None


def _anonymise(member: Member, now: datetime) -> None:
    """Empty the row and unlink the Telegram account; region stays (the audit log is per region)."""
    member.telegram_user_id = UNLINKED_BASE - member.id
    member.display_name = ""
    member.phone = None
    member.share_phone = False
    member.language = member.region.locale
    member.practice_id = None
    member.reach = "wijk"
    member.paused_until = None
    member.quiet_start, member.quiet_end = "20:00", "07:30"
    member.deleted_at = now
