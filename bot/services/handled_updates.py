"""Exactly-once handling of Telegram updates across crashes.

Telegram hands out an update until a later getUpdates confirms it. The bot confirms a batch only after it has
handled every update in it (`handlers/once.py`), so a crash never loses one; the price is that a crash can
bring back an update that was already handled. Its id, stored here in the handler's own transaction, turns
that second delivery into a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import and_, delete, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import HandledUpdate, ReceivedUpdate
from db.session import upsert

# Telegram keeps an unconfirmed update for 24 hours; ids older than that can never come back.
KEEP: Final = timedelta(days=2)


async def handled(session: AsyncSession, update_id: int) -> HandledUpdate | None:
    """The record of this update, if it was handled before (and so is a redelivery after a crash)."""
    return await session.get(HandledUpdate, update_id)


async def mark_handled(session: AsyncSession, *, update_ids: list[int], now: datetime, finished: bool) -> None:
    """Record updates in the caller's transaction, one statement: when a handler commits (`finished=False`:
    its reply may still be on its way), and again once every handler is through (`finished=True`)."""
    rows = [{"update_id": update_id, "at": now, "finished": finished} for update_id in sorted(set(update_ids))]
    if not rows:
        return
    statement = upsert(session, HandledUpdate).values(rows)
    if finished:
        await session.execute(statement.on_conflict_do_update(index_elements=["update_id"], set_={"finished": True}))
    else:
        await session.execute(statement.on_conflict_do_nothing(index_elements=["update_id"]))


async def newest_handled(session: AsyncSession) -> int:
    """The highest update id handled or received so far (0 if none): only ids up to it can come back after a
    restart."""
    handled_max = await session.scalar(select(func.max(HandledUpdate.update_id)))
    received_max = await session.scalar(select(func.max(ReceivedUpdate.update_id)))
    return max(int(handled_max or 0), int(received_max or 0))


async def keep_received(session: AsyncSession, payloads: list[dict[str, Any]], *, now: datetime) -> None:
    """Put a batch of updates from Telegram in the inbox (one statement; an id already there stays as it is)."""
    rows = [{"update_id": int(p["update_id"]), "payload": p, "received_at": now} for p in payloads]
    if rows:
        await session.execute(upsert(session, ReceivedUpdate).values(rows).on_conflict_do_nothing())


async def keep_if_new(
    session: AsyncSession, payload: dict[str, Any], *, now: datetime, chat_key: int | None = None
) -> bool:
    """Webhook mode: put one update in the inbox unless it is there already or was handled (Telegram sends one
    again when it did not get our answer); True when it is new and must be handled."""
    update_id = int(payload["update_id"])
    row = {"update_id": update_id, "payload": payload, "received_at": now, "chat_key": chat_key}
    result = await session.execute(upsert(session, ReceivedUpdate).values(row).on_conflict_do_nothing())
    if not getattr(result, "rowcount", 0):
        return False  # in the inbox already
    # Checked after the insert: a first copy whose finish committed meanwhile is seen here (on PostgreSQL the
    # insert waits for that finish when the first copy's row was still there).
    if await session.scalar(select(HandledUpdate.update_id).where(HandledUpdate.update_id == update_id)) is not None:
        await session.execute(delete(ReceivedUpdate).where(ReceivedUpdate.update_id == update_id))
        return False
    return True


async def received_backlog(session: AsyncSession) -> list[dict[str, Any]]:
    """What a crash left in the inbox, oldest first: to be handled before anything new."""
    return list(await session.scalars(select(ReceivedUpdate.payload).order_by(ReceivedUpdate.update_id)))


async def forget_received(session: AsyncSession, update_ids: list[int]) -> None:
    """The updates are handled through to the end: out of the inbox (with the mark, in one transaction)."""
    await session.execute(
        delete(ReceivedUpdate)
        .where(ReceivedUpdate.update_id.in_(sorted(set(update_ids))))
        .execution_options(synchronize_session=False)
    )


async def forget_old(session: AsyncSession, *, now: datetime) -> int:
    """Drop ids Telegram can no longer send again."""
    result = await session.execute(delete(HandledUpdate).where(HandledUpdate.at < now - KEEP))
    # An inbox row this old was never finished by any start since (it keeps crashing the bot): let it go.
    await session.execute(delete(ReceivedUpdate).where(ReceivedUpdate.received_at < now - KEEP))
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class Claimed:
    """An update a worker took from the inbox; `taken_over` when a worker that died had taken it before."""

    payload: dict[str, Any]
    taken_over: bool


# A live worker holds the advisory lock (WORKER_LOCK_SPACE, its number) on a connection of its own for as long as
# it runs; PostgreSQL releases it the moment the process dies (its connections close), so a claim whose worker's
# lock is not held is free at once, instead of after a timeout.
WORKER_LOCK_SPACE = 0x77686B31  # "whk1"
_CLAIMER_GONE = text(
    "NOT EXISTS (SELECT 1 FROM pg_locks AS lock WHERE lock.locktype = 'advisory' AND lock.granted"
    " AND lock.classid::bigint = :space AND lock.objsubid = 2 AND lock.objid::bigint = inbox.claimed_by::bigint)"
).bindparams(space=WORKER_LOCK_SPACE)


async def claim_next(session: AsyncSession, *, worker: str, now: datetime, stale_before: datetime) -> Claimed | None:
    """Several workers (PostgreSQL): take the oldest update that no live worker holds and that no older update of
    its chat is ahead of, so that each is handled by one worker and a chat's in order. Skips rows another worker
    is claiming this instant (FOR UPDATE SKIP LOCKED). A worker is a number (its advisory lock's); a claim is
    free when its worker's lock is not held (it died) or, should that check miss, when it went stale."""
    inbox, older = ReceivedUpdate.__table__.alias("inbox"), ReceivedUpdate.__table__.alias("older")
    taken = or_(inbox.c.claimed_at < stale_before, _CLAIMER_GONE)
    # Never one's own claim: a worker that lost its lock's connection must not take its own updates again.
    free = or_(inbox.c.claimed_by.is_(None), and_(taken, inbox.c.claimed_by.is_distinct_from(worker)))
    ahead = (
        select(older.c.update_id)
        .where(older.c.chat_key == inbox.c.chat_key, older.c.update_id < inbox.c.update_id)
        .exists()
    )
    candidate = (
        select(inbox.c.update_id, inbox.c.claimed_by)
        .where(free, ~ahead)
        .order_by(inbox.c.update_id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    found = (await session.execute(candidate)).first()
    if found is None:
        return None
    update_id, previous = found
    payload = await session.scalar(
        update(ReceivedUpdate)
        .where(ReceivedUpdate.update_id == update_id)
        .values(claimed_by=worker, claimed_at=now)
        .returning(ReceivedUpdate.payload)
    )
    return Claimed(payload, taken_over=previous is not None) if payload is not None else None


async def keep_claims(session: AsyncSession, *, worker: str, now: datetime, update_ids: set[int]) -> None:
    """A live worker's heartbeat: the updates it is handling are not stale (one statement). A claim it no longer
    handles (its finish failed) is left to go stale, for another worker to take over."""
    if update_ids:
        await session.execute(
            update(ReceivedUpdate)
            .where(ReceivedUpdate.claimed_by == worker, ReceivedUpdate.update_id.in_(sorted(update_ids)))
            .values(claimed_at=now)
        )
