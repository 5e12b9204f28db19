"""One pace of calls to Telegram for several workers (MULTI_WORKER, PostgreSQL).

Telegram's limit (about 30 messages a second) is per bot, not per process. Each worker still paces its own calls
(bot/rate_limiter.py); on top, every call takes the next slot of a clock kept in one database row, so that all
workers together stay at the pace. One short statement per call, on the database's own clock.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, literal_column, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import TelegramPace

PACE_ROW = 1


async def take_slot(session: AsyncSession, interval: timedelta) -> float:
    """Take the next slot; returns how many seconds to wait for it (0 when it is now)."""
    now = func.clock_timestamp()
    slot = func.greatest(TelegramPace.next_at, now)
    seconds: float | None = await session.scalar(
        update(TelegramPace)
        .where(TelegramPace.id == PACE_ROW)
        .values(next_at=slot + interval)
        .returning(literal_column("extract(epoch from (telegram_pace.next_at - clock_timestamp()))"))
    )
    if seconds is None:  # the first call ever: make the row
        await session.execute(
            text("INSERT INTO telegram_pace (id, next_at) VALUES (:id, clock_timestamp()) ON CONFLICT DO NOTHING"),
            {"id": PACE_ROW},
        )
        return 0.0
    # RETURNING sees the new next_at: the slot taken is one interval before it.
    return max(0.0, float(seconds) - interval.total_seconds())
