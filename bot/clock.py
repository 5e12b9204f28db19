"""The time source; tests inject their own so that no test sleeps to wait for the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime:
        """The current time, in UTC."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """The current time, in UTC."""
        return datetime.now(UTC)


class OffsetClock:
    """The real clock moved by a fixed offset: a whole process (the soak's bot, restarted many times) then lives
    at a chosen time of day while its time still runs on, so a night-time run can be tested at noon."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def now(self) -> datetime:
        """The current time plus the offset, in UTC."""
        return datetime.now(UTC) + self.offset


def clock_for(offset_seconds: float) -> Clock:
    """The system clock, or an offset one when a test asked for it (CLOCK_OFFSET_SECONDS)."""
    return OffsetClock(timedelta(seconds=offset_seconds)) if offset_seconds else SystemClock()


class MovableClock:
    """The real clock, which can be moved forward while running (the playground's time controls): time runs on
    from wherever it was moved to, and never goes back."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        """The current time plus how far it was moved, in UTC."""
        return datetime.now(UTC) + self.offset

    def advance(self, by: timedelta) -> None:
        """Move forward by `by` (a negative step is ignored: what was sent stays sent)."""
        if by > timedelta(0):
            self.offset += by
