"""What /mijngegevens sends: everything stored about the person behind a Telegram account, as plain data."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.services import audit
from bot.services.availability import has_quiet_hours
from bot.services.members import member_relations
from db.meetings import ActionPoint, CalendarFeed, Meeting, MeetingInvitee, MeetingOccurrence
from db.models import (
    AuditEntry,
    Availability,
    AvailabilityException,
    ConversationState,
    Invite,
    Member,
    Offer,
    OfferSlot,
    OutboxMessage,
    RequestRecipient,
    ShortageRequest,
    WijkGroup,
)

# The namespaces bot.persistence writes (services do not import the Telegram layer).
_USER_DATA, _CHAT_DATA, _CONVERSATION_PREFIX = "user_data", "chat_data", "conv:"


async def conversation_rows(session: AsyncSession, telegram_user_id: int) -> list[ConversationState]:
    """The persisted bot state of this Telegram account: user data, the private chat's data, form steps."""
    ident = str(telegram_user_id)
    rows = await session.scalars(
        select(ConversationState).where(
            or_(
                ConversationState.namespace.in_([_USER_DATA, _CHAT_DATA]),
                ConversationState.namespace.startswith(_CONVERSATION_PREFIX),
            ),
            # Narrowed in SQL, so other people's drafts are never even loaded; checked exactly below.
            ConversationState.key.contains(ident),
        )
    )
    found = []
    for row in rows:
        if row.namespace in (_USER_DATA, _CHAT_DATA):
            if row.key == ident:
                found.append(row)
            continue
        try:
            key = json.loads(row.key)
        except ValueError:
            continue
        if isinstance(key, list) and telegram_user_id in key:
            found.append(row)
    return found


def _slot(slot: Any) -> dict[str, Any]:
    return {"day": slot.day, "daypart": slot.daypart, "start": slot.start_at, "end": slot.end_at}


async def export_data(session: AsyncSession, *, now: datetime, telegram_user_id: int) -> dict[str, Any]:
    """Everything stored about the person behind this Telegram account, as plain data (for JSON)."""
    conversation = [
        {"namespace": row.namespace, "data": row.data} for row in await conversation_rows(session, telegram_user_id)
    ]
    member = await session.scalar(
        select(Member).where(Member.telegram_user_id == telegram_user_id).options(*member_relations())
    )
    if member is None:
        return {"exported_at": now, "member": None, "conversation_state": conversation}
    return {
        "exported_at": now,
        "member": _member_part(member),
        "conversation_state": conversation,
        **await _activity(session, member),
    }


def _member_part(member: Member) -> dict[str, Any]:
    practice = member.practice
    return {
        "id": member.id,
        "telegram_user_id": member.telegram_user_id,
        "name": member.display_name,
        "username": None,  # never stored: the bot uses the Telegram id and name only
        "language": member.language,
        "phone": member.phone,
        "share_phone": member.share_phone,
        "joined_at": member.joined_at,
        "region": member.region.name,
        "practice": practice.name if practice else None,
        "wijk": practice.wijk.name if practice else None,
        "roles": [{"role": row.role, "helps_in_this_role": row.lendable} for row in member.role_rows],
        "reach": member.reach,
        "paused_until": member.paused_until,
        "quiet_hours": {"start": member.quiet_start, "end": member.quiet_end} if has_quiet_hours(member) else None,
    }


async def _activity(session: AsyncSession, member: Member) -> dict[str, Any]:
    """What the member did and what was sent to them, each part a list of plain dicts."""
    mid = member.id
    availability = await session.scalars(
        select(Availability).where(Availability.member_id == mid).order_by(Availability.weekday, Availability.daypart)
    )
    days_off = await session.scalars(
        select(AvailabilityException.day)
        .where(AvailabilityException.member_id == mid)
        .order_by(AvailabilityException.day)
    )
    requests = await session.scalars(
        select(ShortageRequest)
        .where(ShortageRequest.created_by_member_id == mid)
        .options(selectinload(ShortageRequest.slots), selectinload(ShortageRequest.practice))
        .order_by(ShortageRequest.id)
    )
    offers = await session.scalars(
        select(Offer)
        .where(Offer.member_id == mid)
        .options(selectinload(Offer.slot_rows).selectinload(OfferSlot.slot))
        .order_by(Offer.id)
    )
    asked = await session.scalars(
        select(RequestRecipient).where(RequestRecipient.member_id == mid).order_by(RequestRecipient.id)
    )
    invitations = await session.scalars(
        select(MeetingInvitee)
        .where(MeetingInvitee.member_id == mid)
        .options(selectinload(MeetingInvitee.occurrence).selectinload(MeetingOccurrence.meeting))
        .order_by(MeetingInvitee.id)
    )
    # The feed's token is not kept (only its hash, which says nothing): that there is one, and since when.
    feed_made = await session.scalar(select(CalendarFeed.created_at).where(CalendarFeed.member_id == mid))
    organised = await session.scalars(select(Meeting).where(Meeting.created_by_member_id == mid).order_by(Meeting.id))
    points = await session.scalars(
        select(ActionPoint)
        .where(or_(ActionPoint.owner_member_id == mid, ActionPoint.created_by_member_id == mid))
        .order_by(ActionPoint.id)
    )
    groups = await session.scalars(select(WijkGroup).where(WijkGroup.linked_by_member_id == mid))
    invites_made = await session.scalars(select(Invite).where(Invite.created_by_member_id == mid).order_by(Invite.id))
    audit_rows = list(
        await session.scalars(
            select(AuditEntry)
            .where(
                or_(
                    AuditEntry.actor_member_id == mid,
                    (AuditEntry.subject_type == "member") & (AuditEntry.subject_id == mid),
                )
            )
            .order_by(AuditEntry.id)
        )
    )
    # The invites this member joined with: the audit log names them, with the member as actor.
    used = select(AuditEntry.subject_id).where(AuditEntry.actor_member_id == mid, AuditEntry.subject_type == "invite")
    invites_used = await session.scalars(select(Invite).where(Invite.id.in_(used)).order_by(Invite.id))
    messages = await session.scalars(
        select(OutboxMessage).where(OutboxMessage.member_id == mid).order_by(OutboxMessage.id)
    )
    return {
        "availability": [{"weekday": row.weekday, "daypart": row.daypart} for row in availability],
        "days_off": list(days_off),
        "requests_created": [
            {
                "id": r.id,
                "practice": r.practice.name,
                "role_needed": r.role_needed,
                "urgency": r.urgency,
                "note": r.note,
                "status": r.status,
                "cancel_reason": r.cancel_reason,
                "created_at": r.created_at,
                "closed_at": r.closed_at,
                "slots": [{**_slot(s), "filled": s.filled_offer_id is not None} for s in r.slots],
            }
            for r in requests
        ],
        "offers": [
            {
                "id": o.id,
                "request_id": o.request_id,
                "status": o.status,
                "created_at": o.created_at,
                "decided_at": o.decided_at,
                "slots": [_slot(row.slot) for row in o.slot_rows],
            }
            for o in offers
        ],
        "requests_sent_to_you": [
            {"request_id": r.request_id, "round": r.round, "declined": r.declined, "sent_at": r.created_at}
            for r in asked
        ],
        "meeting_invitations": [
            {
                "occurrence_id": i.occurrence_id,
                "meeting": i.occurrence.meeting.title,
                "starts_at": i.occurrence.starts_at,
                "answer": i.answer,
                "answered_at": i.answered_at,
                "invited_at": i.invited_at,
            }
            for i in invitations
        ],
        "calendar_feed": {"made_at": feed_made} if feed_made is not None else None,
        "meetings_organised": [{"id": m.id, "title": m.title, "created_at": m.created_at} for m in organised],
        "action_points": [
            {
                "id": p.id,
                "text": p.text,
                "due_on": p.due_on,
                "assigned_to_you": p.owner_member_id == mid,
                "recorded_by_you": p.created_by_member_id == mid,
                "done_at": p.done_at,
            }
            for p in points
        ],
        "group_links_made": [{"chat_id": g.chat_id, "wijk_id": g.wijk_id, "linked_at": g.linked_at} for g in groups],
        "invites_made": [
            {"id": i.id, "role": i.role, "practice_id": i.practice_id, "uses": i.use_count, "created_at": i.created_at}
            for i in invites_made
        ],
        "invites_used": [{"id": i.id, "role": i.role, "practice_id": i.practice_id} for i in invites_used],
        "audit_log": [
            {
                "at": row.at,
                "action": row.action,
                "you_are": "actor" if row.actor_member_id == mid else "subject",
                "subject_type": row.subject_type,
                "subject_id": row.subject_id,
                "details": row.details,
            }
            for row in audit_rows
        ],
        "messages_to_you": [
            {"kind": m.kind, "status": m.status, "created_at": m.created_at, "sent_at": m.sent_at} for m in messages
        ],
    }


async def record_export(session: AsyncSession, *, now: datetime, member: Member) -> None:
    """The audit log notes every export."""
    await audit.record(
        session,
        at=now,
        action="member.exported",
        region_id=member.region_id,
        actor_member_id=member.id,
        subject_type="member",
        subject_id=member.id,
    )
