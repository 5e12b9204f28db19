"""Bookkeeping of calls Telegram would refuse, so that tests fail on refusals they did not intend."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Refusal:
    """A call Telegram would have refused; params exclude the token (it is only in the URL)."""

    method: str
    error_code: int
    description: str
    params: dict[str, object]

    def __str__(self) -> str:
        return f"{self.method} -> {self.error_code} {self.description!r} params={self.params}"


class RefusalBook:
    """server.refusals plus the expectations a test declared about them."""

    def __init__(self) -> None:
        self.refusals: list[Refusal] = []
        self._expected_refusals: int | None = None
        self._allowed_refusals: list[Callable[[Refusal], bool]] = []

    def expect_refusals(self, expected: int | Callable[[Refusal], bool]) -> None:
        """Declare refusals as intended: exactly `expected` of them, or those matching a predicate."""
        if isinstance(expected, int):
            self._expected_refusals = expected
        else:
            self._allowed_refusals.append(expected)

    def take_refusals(self) -> list[Refusal]:
        """Return and forget the refusals so far."""
        taken, self.refusals = self.refusals, []
        return taken

    def check_refusals(self) -> None:
        """Fail (AssertionError) if the bot caused refusals the test did not expect."""
        unexpected = [r for r in self.refusals if not any(allowed(r) for allowed in self._allowed_refusals)]
        listing = "\n".join(f"  {r}" for r in unexpected)
        if self._expected_refusals is not None:
            if len(unexpected) != self._expected_refusals:
                raise AssertionError(f"expected {self._expected_refusals} refusals, got {len(unexpected)}:\n{listing}")
        elif unexpected:
            raise AssertionError(f"Telegram would have refused {len(unexpected)} call(s):\n{listing}")
