"""Per-person token buckets against flooding: who is sending faster than a person reasonably does.

In memory only: forgetting a bucket (a restart, an idle person) just gives someone a full bucket again.
"""

from __future__ import annotations

import enum
from collections import OrderedDict, deque
from dataclasses import dataclass, field

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


@dataclass
class CodeFailures:
    """Unknown invitation codes tried: by one person, and by everyone together, within the last `window`
    seconds. Codes are 128 random bits, so guessing one is hopeless anyway; the limit keeps anyone from even
    trying at scale, also with many accounts (the overall limit), and the log shows that someone is."""

    per_person: int
    overall: int
    window: float
    _everyone: deque[float] = field(default_factory=deque)
    _people: dict[int, deque[float]] = field(default_factory=dict)

    def blocked(self, user_id: int, now: float) -> bool:
        """Whether this person may not try a code now: they, or everyone together, failed too often lately."""
        self._forget(now)
        mine = self._people.get(user_id)
        return len(self._everyone) >= self.overall or (mine is not None and len(mine) >= self.per_person)

    def failed(self, user_id: int, now: float) -> tuple[int, int]:
        """Count an unknown code; returns this person's and everyone's failures within the window."""
        self._forget(now)
        self._everyone.append(now)
        mine = self._people.setdefault(user_id, deque())
        mine.append(now)
        return len(mine), len(self._everyone)

    def _forget(self, now: float) -> None:
        """Drop failures older than the window (everyone's are in time order, so are each person's)."""
        cutoff = now - self.window
        while self._everyone and self._everyone[0] <= cutoff:
            self._everyone.popleft()
        for user_id in [user for user, times in self._people.items() if not times or times[-1] <= cutoff]:
            del self._people[user_id]
        if len(self._people) > MAX_TRACKED:  # a flood of accounts: the overall limit holds them anyway
            self._people.clear()
