"""The outbox: messages to third parties, written with the change that causes them, sent exactly once.

A dispatcher claims due rows (pending -> sending, guarded so that only one worker wins a row), sends them
outside any transaction, then marks them sent with Telegram's message id. A worker that dies after Telegram
accepted a message but before the commit leaves the row in `sending`; after `CLAIM_TIMEOUT` it is sent again
(logged as `outbox.resend_unknown_fate`), or at once when the run that claimed it is known to have ended (the bot
restarted: bot/services/runs.py). We prefer a rare duplicate to a lost request: a request that
never reaches the people who could help is the failure this bot exists to prevent.

What a row says is a notice (bot/services/notices.py): `enqueue` stores one as its kind and params, `claim_due`
reads it back.

Reminders decide the other way (AT_MOST_ONCE_KINDS): a duplicate reminder is the complaint users have of other
bots, and a missed one is covered by the invitation, the calendar entry and the other reminders. Such a row is
marked `in_flight` in its own commit right before the call to Telegram; one found stale in `sending` was never
handed over and is sent, one found stale in `in_flight` may have arrived and is marked `unknown`, logged as
`outbox.unknown_fate_not_resent`, and not sent again.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.services import notices
from bot.services.notices import Notice, NoticeError
from bot.services.runs import ended_runs
from db.meetings import MeetingGroupPost
from db.models import (
    GroupPost,
    Offer,
    OutboxMessage,
    OutboxStatus,
    RequestAlertMessage,
    RequestRecipient,
    ShortageRequest,
)

log = logging.getLogger(__name__)

CLAIM_TIMEOUT = timedelta(minutes=2)
MAX_ATTEMPTS = 12
BACKOFF_CAP = timedelta(minutes=10)
AT_MOST_ONCE_KINDS = notices.AT_MOST_ONCE_KINDS


@dataclass(frozen=True)
class Claimed:
    """A row this worker now owns until it reports back; `notice` is None when this version cannot read it."""

    id: int
    kind: str
    chat_id: int
    member_id: int | None
    recipient_id: int | None
    notice: Notice | None
    attempts: int


async def enqueue(
    session: AsyncSession,
    *,
    now: datetime,
    notice: Notice,
    chat_id: int,
    member_id: int | None = None,
    recipient_id: int | None = None,
    due_at: datetime | None = None,
) -> OutboxMessage:
    """Add a notice to the caller's transaction; it goes out only if that transaction commits."""
    row = OutboxMessage(
        kind=notice.kind,
        chat_id=chat_id,
        member_id=member_id,
        recipient_id=recipient_id,
        params=notice.to_params(),
        status=OutboxStatus.PENDING,
        attempts=0,
        created_at=now,
        next_attempt_at=due_at or now,
    )
    session.add(row)
    session.info["outbox_written"] = True  # the handler layer kicks the dispatcher after commit
    return row


def _held_back() -> Any:
    """A row waits while an older row to the same chat is being sent or waits for a retry (a 429, a 5xx):
    people read a chat top to bottom, and an offer withdrawn must not arrive before the offer. An older row
    merely scheduled later (quiet hours) holds nothing back. The rows that hold a chat back are found once
    per claim (an uncorrelated subquery), not once per candidate row."""
    older = aliased(OutboxMessage)
    first_waiting = (
        select(older.chat_id.label("chat_id"), func.min(older.id).label("first_id"))
        .where(
            or_(
                older.status.in_((OutboxStatus.SENDING, OutboxStatus.IN_FLIGHT)),
                (older.status == OutboxStatus.PENDING) & older.last_error.is_not(None),
            )
        )
        .group_by(older.chat_id)
        .subquery("first_waiting")
    )
    return exists().where(first_waiting.c.chat_id == OutboxMessage.chat_id, first_waiting.c.first_id < OutboxMessage.id)


async def claim_due(
    session: AsyncSession,
    *,
    now: datetime,
    limit: int = 50,
    claim_timeout: timedelta = CLAIM_TIMEOUT,
    in_hand: Collection[int] = (),
    run_id: str | None = None,
) -> list[Claimed]:
    """Claim up to `limit` due rows, oldest first; rows another worker claimed are left alone until they are
    `claim_timeout` old (OUTBOX_CLAIM_TIMEOUT_SECONDS), and rows behind an older one to the same chat that is
    not through yet wait. `in_hand`: rows this worker is still sending, never taken back, however old their claim
    (a worker claims more while earlier rows are on their way). A claim of a run known to have ended is taken at
    once; `run_id` (this run) is recorded with each claim."""
    stale = now - claim_timeout
    abandoned = (OutboxMessage.claimed_at <= stale) | OutboxMessage.claimed_by.in_(ended_runs())
    candidates = list(
        await session.scalars(
            select(OutboxMessage)
            .where(
                or_(
                    (OutboxMessage.status == OutboxStatus.PENDING) & (OutboxMessage.next_attempt_at <= now),
                    (OutboxMessage.status == OutboxStatus.SENDING) & abandoned,
                    (OutboxMessage.status == OutboxStatus.IN_FLIGHT) & abandoned,
                ),
                ~_held_back(),
                OutboxMessage.id.not_in(list(in_hand)) if in_hand else true(),
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    claimed: list[Claimed] = []
    for row in candidates:
        if row.status == OutboxStatus.IN_FLIGHT:
            await mark_unknown(session, row.id, kind=row.kind)
            continue
        if row.status == OutboxStatus.SENDING:
            if row.attempts >= MAX_ATTEMPTS:  # a row that keeps dying mid-send must not loop forever
                await mark_failed(session, row.id, error="gave up: claimed too often")
                continue
            if row.kind in AT_MOST_ONCE_KINDS:
                log.info("outbox.reclaim_unsent id=%s kind=%s", row.id, row.kind)  # never handed to Telegram
            else:
                log.warning("outbox.resend_unknown_fate id=%s kind=%s", row.id, row.kind)
        # The guard on status and claimed_at makes the claim atomic across workers.
        result = await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == row.id,
                OutboxMessage.status == row.status,
                OutboxMessage.claimed_at.is_(None)
                if row.claimed_at is None
                else OutboxMessage.claimed_at == row.claimed_at,
            )
            .values(status=OutboxStatus.SENDING, claimed_at=now, claimed_by=run_id, attempts=OutboxMessage.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            claimed.append(
                Claimed(row.id, row.kind, row.chat_id, row.member_id, row.recipient_id, _read(row), row.attempts + 1)
            )
    return claimed


def _read(row: OutboxMessage) -> Notice | None:
    """The notice a row holds, or None (left to the dispatcher to log and skip) when it cannot be read."""
    try:
        return notices.from_row(row.kind, dict(row.params))
    except NoticeError:
        return None


async def mark_sent(session: AsyncSession, row_id: int, *, now: datetime, message_id: int | None) -> None:
    """Telegram accepted it: record the message id (edits later need it)."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(status=OutboxStatus.SENT, sent_at=now, telegram_message_id=message_id, last_error=None)
    )


async def mark_in_flight(session: AsyncSession, row_id: int) -> None:
    """An at-most-once row is about to be handed to Telegram: from here on its fate may become unknown."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.status == OutboxStatus.SENDING)
        .values(status=OutboxStatus.IN_FLIGHT)
    )


async def mark_unknown(session: AsyncSession, row_id: int, *, kind: str) -> None:
    """The sender died while Telegram had an at-most-once row: it may have arrived, so it is not sent again."""
    log.warning("outbox.unknown_fate_not_resent id=%s kind=%s", row_id, kind)
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.status == OutboxStatus.IN_FLIGHT)
        .values(status=OutboxStatus.UNKNOWN, last_error="unknown fate")
    )


async def mark_skipped(session: AsyncSession, row_id: int, *, now: datetime) -> None:
    """Not worth sending any more."""
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id == row_id).values(status=OutboxStatus.SKIPPED, sent_at=now)
    )


async def mark_failed(session: AsyncSession, row_id: int, *, error: str) -> None:
    """Telegram refused for good; kept for the record, never retried."""
    log.warning("outbox.failed id=%s error=%s", row_id, error)
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(status=OutboxStatus.FAILED, last_error=error[:80])
    )


async def release(session: AsyncSession, row_ids: list[int]) -> None:
    """Give claimed rows back unsent, without counting an attempt: an older row to their chat must go first."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(row_ids), OutboxMessage.status == OutboxStatus.SENDING)
        .values(status=OutboxStatus.PENDING, claimed_at=None, claimed_by=None, attempts=OutboxMessage.attempts - 1)
    )


def backoff(attempts: int) -> timedelta:
    """2, 4, 8, ... seconds, capped, for 5xx and network errors."""
    return min(timedelta(seconds=2**attempts), BACKOFF_CAP)


async def mark_retry(
    session: AsyncSession, row_id: int, *, at: datetime, error: str, attempts: int, counts: bool = True
) -> None:
    """Try again at `at`, or give up after MAX_ATTEMPTS. A 429 does not count (`counts=False`): Telegram
    said when to come back, and a flood during a big spoed fan-out must not drop anyone's copy."""
    if counts and attempts >= MAX_ATTEMPTS:
        await mark_failed(session, row_id, error=f"gave up: {error}")
        return
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(
            status=OutboxStatus.PENDING,
            next_attempt_at=at,
            claimed_at=None,
            claimed_by=None,
            last_error=error[:80],
            attempts=OutboxMessage.attempts if counts else OutboxMessage.attempts - 1,
        )
    )


async def record_delivery(
    session: AsyncSession,
    row_id: int,
    *,
    now: datetime,
    message_id: int | None,
    recipient_id: int | None,
    fingerprint: str | None,
    group_post_id: int | None = None,
    status_request_id: int | None = None,
    offer_card_id: int | None = None,
    alert_id: int | None = None,
    meeting_post_id: int | None = None,
) -> None:
    """Mark the row sent and remember, for a copy of a request (or the requester's status message), which message
    shows it and what it shows."""
    await mark_sent(session, row_id, now=now, message_id=message_id)
    if offer_card_id is not None and message_id is not None:
        await session.execute(update(Offer).where(Offer.id == offer_card_id).values(card_message_id=message_id))
    if alert_id is not None:
        alert_values: dict[str, object] = {"rendered_digest": fingerprint}
        if message_id is not None:
            alert_values["message_id"] = message_id
        await session.execute(
            update(RequestAlertMessage).where(RequestAlertMessage.id == alert_id).values(**alert_values)
        )
    if status_request_id is not None and fingerprint is not None:
        await session.execute(
            update(ShortageRequest).where(ShortageRequest.id == status_request_id).values(status_digest=fingerprint)
        )
    if meeting_post_id is not None and fingerprint is not None:
        post_values: dict[str, object] = {"rendered_digest": fingerprint}
        if message_id is not None:
            post_values["message_id"] = message_id
        await session.execute(
            update(MeetingGroupPost).where(MeetingGroupPost.id == meeting_post_id).values(**post_values)
        )
    if group_post_id is not None and fingerprint is not None:
        group_values: dict[str, object] = {"rendered_digest": fingerprint}
        if message_id is not None:
            group_values["message_id"] = message_id
        await session.execute(update(GroupPost).where(GroupPost.id == group_post_id).values(**group_values))
    if recipient_id is None or fingerprint is None:
        return
    values: dict[str, object] = {"rendered_digest": fingerprint}
    if message_id is not None:
        values["message_id"] = message_id
    await session.execute(update(RequestRecipient).where(RequestRecipient.id == recipient_id).values(**values))


async def next_due(session: AsyncSession) -> datetime | None:
    """When the next pending row is due, for tests and the sweep."""
    return await session.scalar(
        select(OutboxMessage.next_attempt_at)
        .where(OutboxMessage.status == OutboxStatus.PENDING)
        .order_by(OutboxMessage.next_attempt_at)
        .limit(1)
    )


async def due_backlog(session: AsyncSession, *, now: datetime) -> tuple[int, datetime | None]:
    """How many pending rows are due now, and since when the oldest: counted in SQL, on the next_attempt_at
    index (for /metrics)."""
    due = (OutboxMessage.status == OutboxStatus.PENDING) & (OutboxMessage.next_attempt_at <= now)
    query = select(func.count(), func.min(OutboxMessage.next_attempt_at)).where(due)
    count, oldest = (await session.execute(query)).one()
    return int(count), oldest
