"""Wijk groups: a Telegram group linked to a wijk sees the wijk's new requests; members offer from there."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.permissions import is_coordinator_of, may_link_group
from bot.services import audit
from bot.services.notices import RequestGroup
from bot.services.outbox import enqueue
from bot.services.requests import FILLING_ROLES, NeededRole
from db.models import (
    GroupPost,
    Member,
    Region,
    RequestRecipient,
    Role,
    ShortageRequest,
    Wijk,
    WijkGroup,
)


async def link_group(
    session: AsyncSession, *, now: datetime, member: Member | None, chat_id: int, wijk_id: int
) -> Wijk | None:
    """Link (or re-link) a group to a wijk of the coordinator's region; None if not allowed."""
    wijk = await session.get(Wijk, wijk_id)
    link = await session.scalar(select(WijkGroup).where(WijkGroup.chat_id == chat_id))
    linked = await session.get(Wijk, link.wijk_id) if link is not None else None
    if wijk is None or member is None or not may_link_group(member, wijk, linked.region_id if linked else None):
        return None
    if link is None:
        session.add(WijkGroup(chat_id=chat_id, wijk_id=wijk.id, linked_by_member_id=member.id, linked_at=now))
    else:
        link.wijk_id, link.linked_by_member_id, link.linked_at = wijk.id, member.id, now
    await audit.record(
        session,
        at=now,
        action="group.linked",
        region_id=wijk.region_id,
        actor_member_id=member.id,
        subject_type="wijk",
        subject_id=wijk.id,
    )
    return wijk


async def unlink_group(session: AsyncSession, *, now: datetime, member: Member | None, chat_id: int) -> bool:
    """Unlink a group; only a coordinator of the linked wijk's region may."""
    link = await session.scalar(select(WijkGroup).where(WijkGroup.chat_id == chat_id))
    wijk = await session.get(Wijk, link.wijk_id) if link else None
    if link is None or wijk is None or member is None or not is_coordinator_of(member, wijk.region_id):
        return False
    await session.execute(delete(WijkGroup).where(WijkGroup.id == link.id))
    await audit.record(
        session,
        at=now,
        action="group.unlinked",
        region_id=wijk.region_id,
        actor_member_id=member.id,
        subject_type="wijk",
        subject_id=wijk.id,
    )
    return True


async def post_to_groups(session: AsyncSession, *, now: datetime, request: ShortageRequest) -> int:
    """Queue the new request for every group linked to its wijk."""
    posted = 0
    for link in await session.scalars(select(WijkGroup).where(WijkGroup.wijk_id == request.wijk_id)):
        post = GroupPost(request_id=request.id, chat_id=link.chat_id)
        session.add(post)
        await session.flush()
        await enqueue(
            session,
            now=now,
            notice=RequestGroup(request_id=request.id, group_post_id=post.id),
            chat_id=link.chat_id,
        )
        posted += 1
    return posted


async def may_offer_from_group(
    session: AsyncSession, member: Member | None, request: ShortageRequest, today: date
) -> bool:
    """A press in a group counts only from a member who could have been asked: same region, not the
    requesting practice, a role (lendable) that fills the request or the student pool where allowed, not paused."""
    if member is None or member.region_id != request.region_id or member.practice_id == request.practice_id:
        return False
    if member.paused_on(today):
        return False
    needed = NeededRole(request.role_needed)
    lendable = {row.role for row in member.role_rows if row.lendable}
    if member.practice is not None:
        return bool(lendable & FILLING_ROLES[needed] - {Role.MEDISCH_STUDENT})
    region = await session.get(Region, request.region_id)
    return Role.MEDISCH_STUDENT in lendable and region is not None and needed.value in region.student_roles


async def is_group_post(session: AsyncSession, *, request_id: int, chat_id: int, message_id: int | None) -> bool:
    """Whether the pressed message is this request's post in this group. callback_data is input: the same
    data pressed in another group, or on another request's post, is forged and must not count."""
    found = await session.scalar(
        select(GroupPost.id).where(
            GroupPost.request_id == request_id, GroupPost.chat_id == chat_id, GroupPost.message_id == message_id
        )
    )
    return found is not None


async def join_from_group(
    session: AsyncSession, *, now: datetime, member: Member, request: ShortageRequest
) -> RequestRecipient:
    """Record that the member was reached through the group (round 0), so they can offer like anyone asked."""
    recipient = await session.scalar(
        select(RequestRecipient).where(
            RequestRecipient.request_id == request.id, RequestRecipient.member_id == member.id
        )
    )
    if recipient is None:
        recipient = RequestRecipient(
            request_id=request.id, member_id=member.id, chat_id=member.telegram_user_id, created_at=now, round=0
        )
        session.add(recipient)
        await session.flush()
    return recipient
