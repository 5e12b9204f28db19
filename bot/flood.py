"""Per-person token buckets against flooding: who is sending faster than a person reasonably does.

In memory only: forgetting a bucket (a restart, an idle person) just gives someone a full bucket again.
"""

from __future__ import annotations

import enum
from collections import OrderedDict
from dataclasses import dataclass

# A hard cap on people remembered at once, whatever happens; idle ones are forgotten long before that.
MAX_TRACKED = 10_000


class Verdict(enum.Enum):
    """What to do with one update."""

    SERVE = "serve"
    WARN = "warn"  # over the limit, and the person has not been told in this burst: tell them, then drop
    DROP = "drop"  # over the limit and already told: drop without a word


@dataclass
class Bucket:
    """One person's tokens, when they were last topped up, and when they were last told to slow down."""

    tokens: float
    updated: float
    warned_at: float | None = None
    language: str | None = None  # the reader's language, once looked up for a notice


class FloodGuard:
    """`burst` updates at once, refilled evenly over `window` seconds; one notice per window of flooding."""

    def __init__(self, burst: int, window: float, *, max_tracked: int = MAX_TRACKED) -> None:
        self.burst = burst
        self.window = window
        self.rate = burst / window
        self.max_tracked = max_tracked
        self._buckets: OrderedDict[int, Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def bucket(self, user_id: int) -> Bucket | None:
        """The person's bucket, if they are remembered."""
        return self._buckets.get(user_id)

    def check(self, user_id: int, now: float) -> Verdict:
        """Take one token for this update, if there is one."""
        self._forget_idle(now)
        bucket = self._buckets.pop(user_id, None)
        if bucket is None:
            bucket = Bucket(tokens=float(self.burst), updated=now)
        else:
            # A clock that went back must not hand out tokens (nor take them).
            elapsed = max(0.0, now - bucket.updated)
            bucket.tokens = min(float(self.burst), bucket.tokens + elapsed * self.rate)
            bucket.updated = max(bucket.updated, now)
        self._buckets[user_id] = bucket  # most recently seen last, so the idle ones are at the front
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return Verdict.SERVE
        if bucket.warned_at is None or now - bucket.warned_at >= self.window:
            bucket.warned_at = now
            return Verdict.WARN
        return Verdict.DROP

    def _forget_idle(self, now: float) -> None:
        """Drop people idle for a whole window (their bucket is full again, so nothing is lost), and the
        longest idle beyond the hard cap."""
        while self._buckets:
            user_id, oldest = next(iter(self._buckets.items()))
            if now - oldest.updated < self.window and len(self._buckets) < self.max_tracked:
                return
            del self._buckets[user_id]
