"""Flood limits like Telegram's, fault injection and a manual clock for tests."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

FaultKind = Literal["429", "500", "502", "drop"]

# Methods that post a new message count towards Telegram's flood limits; edits and chat actions do not.
MESSAGE_METHODS = frozenset(
    {
        "sendMessage", "sendDocument", "sendPhoto", "sendAudio", "sendVideo", "sendAnimation",
        "sendVoice", "sendVideoNote", "sendMediaGroup", "sendLocation", "sendVenue", "sendContact",
        "sendPoll", "sendDice", "sendSticker", "sendInvoice", "sendPaidMedia", "sendChecklist",
        "forwardMessage", "forwardMessages", "copyMessage", "copyMessages",
    }
)  # fmt: skip


class ManualClock:
    """A monotonic clock that only moves when a test advances it."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


@dataclass
class RateLimitConfig:
    """Token buckets: sustained rate plus burst; bursts have slack so PTB's AIORateLimiter never trips."""

    overall_per_second: float = 30.0
    overall_burst: float = 40.0
    private_per_second: float = 1.0
    private_burst: float = 20.0
    group_per_minute: float = 20.0
    group_burst: float = 22.0

    @classmethod
    def strict(cls) -> RateLimitConfig:
        """Telegram's limits with realistic bursts, for the benchmark: 30 messages a second overall with at most
        one second's worth at once, a private chat one a second after a short burst of 3, a group 20 a minute."""
        return cls(
            overall_per_second=30.0,
            overall_burst=30.0,
            private_per_second=1.0,
            private_burst=3.0,
            group_per_minute=20.0,
            group_burst=20.0,
        )


@dataclass
class TokenBucket:
    """Classic token bucket; `rate` tokens per second up to `capacity`."""

    rate: float
    capacity: float
    tokens: float = math.inf
    last: float | None = None

    def wait_time(self, now: float) -> float:
        """Refill up to now and return how long until one token is available (0 if now)."""
        if self.last is None:
            self.tokens = self.capacity
        else:
            self.tokens = min(self.capacity, self.tokens + max(0.0, now - self.last) * self.rate)
        self.last = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        """Consume one token (after wait_time returned 0)."""
        self.tokens -= 1


@dataclass
class RateLimiter:
    """Overall, per-private-chat and per-group flood limits for message-posting methods."""

    config: RateLimitConfig = field(default_factory=RateLimitConfig)
    _overall: TokenBucket | None = None
    _chats: dict[int, TokenBucket] = field(default_factory=dict)

    def check(self, chat_id: int, is_group: bool, now: float) -> int | None:
        """Consume a message slot, or return the retry_after (whole seconds, >= 1) Telegram would send."""
        cfg = self.config
        if self._overall is None:
            self._overall = TokenBucket(cfg.overall_per_second, cfg.overall_burst)
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = (
                TokenBucket(cfg.group_per_minute / 60.0, cfg.group_burst)
                if is_group
                else TokenBucket(cfg.private_per_second, cfg.private_burst)
            )
        wait = max(self._overall.wait_time(now), chat.wait_time(now))
        if wait > 0:
            return max(1, math.ceil(wait))
        self._overall.take()
        chat.take()
        return None

    def reset(self) -> None:
        """Forget all consumed slots."""
        self._overall = None
        self._chats.clear()


@dataclass
class Fault:
    """A deliberate failure for the next `remaining` matching calls."""

    method: str | None
    kind: FaultKind
    remaining: int
    retry_after: int = 1
    chat_id: int | None = None

    def matches(self, method: str, chat_id: object) -> bool:
        """Whether a call is hit; method=None means any method except getUpdates (polling would eat it)."""
        if self.method is None and method == "getUpdates":
            return False
        if self.method is not None and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or str(self.chat_id) == str(chat_id)


@dataclass
class FaultPlan:
    """Queued faults, consumed in injection order."""

    faults: list[Fault] = field(default_factory=list)

    def take(self, method: str, chat_id: object) -> Fault | None:
        """The fault to serve for this call, if any, counting it down."""
        for fault in self.faults:
            if fault.remaining > 0 and fault.matches(method, chat_id):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self.faults.remove(fault)
                return fault
        return None
