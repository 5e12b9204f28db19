"""Meeting dates in linked wijk groups: posted when their invitations go out, with the counts, and edited as
answers come in.

A group takes about 20 messages a minute from a bot, and a burst of answers must not become a burst of edits: an
answer queues an edit only when none is waiting for that post, and queues it `EDIT_DELAY` ahead, so the answers
of the next half minute join it (it is rendered when it is sent, with the counts as they are then). The renderer
skips an edit that would show what the post already shows (its digest).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.notices import MeetingGroup
from bot.services.outbox import enqueue
from db.meetings import Meeting, MeetingGroupPost, MeetingOccurrence, meeting_wijk
from db.models import OutboxMessage, OutboxStatus, Wijk, WijkGroup

EDIT_DELAY = timedelta(seconds=30)


async def post_to_groups(session: AsyncSession, *, now: datetime, occurrence: MeetingOccurrence) -> int:
    """Queue a post of the date for every group linked to one of its wijken (any wijk of the region for a
    meeting of the whole region); once per group (the unique key). Returns how many."""
    meeting: Meeting = occurrence.meeting
    if meeting.whole_region:
        wijken = select(Wijk.id).where(Wijk.region_id == meeting.region_id)
    else:
        wijken = select(meeting_wijk.c.wijk_id).where(meeting_wijk.c.meeting_id == meeting.id)
    chats = set(await session.scalars(select(WijkGroup.chat_id).where(WijkGroup.wijk_id.in_(wijken))))
    known = set(
        await session.scalars(select(MeetingGroupPost.chat_id).where(MeetingGroupPost.occurrence_id == occurrence.id))
    )
    posted = 0
    for chat_id in sorted(chats - known):
        post = MeetingGroupPost(occurrence_id=occurrence.id, chat_id=chat_id)
        session.add(post)
        await session.flush()
        notice = MeetingGroup(occurrence_id=occurrence.id, group_post_id=post.id)
        await enqueue(session, now=now, notice=notice, chat_id=chat_id)
        posted += 1
    return posted


async def refresh_group_posts(
    session: AsyncSession, *, now: datetime, occurrence_id: int, delay: timedelta = EDIT_DELAY
) -> int:
    """Have the date's group posts edited to the counts (and the date) as they are now, joining an edit that is
    still waiting rather than queueing another; returns how many edits were queued. Costs a query per linked
    group, never one per invitee."""
    posts = list(
        await session.scalars(
            select(MeetingGroupPost).where(
                MeetingGroupPost.occurrence_id == occurrence_id, MeetingGroupPost.message_id.is_not(None)
            )
        )
    )
    queued = 0
    for post in posts:
        if post.edit_row_id is not None:
            waiting = await session.scalar(select(OutboxMessage.status).where(OutboxMessage.id == post.edit_row_id))
            if waiting == OutboxStatus.PENDING:
                continue  # rendered when it is sent: it will show this answer too
        notice = MeetingGroup(occurrence_id=occurrence_id, group_post_id=post.id, message_id=post.message_id)
        row = await enqueue(session, now=now, notice=notice, chat_id=post.chat_id, due_at=now + delay)
        await session.flush()
        await session.execute(
            update(MeetingGroupPost)
            .where(MeetingGroupPost.id == post.id)
            .values(edit_row_id=row.id)
            .execution_options(synchronize_session=False)
        )
        queued += 1
    return queued
