"""What the hostile-input tests share: nasty text, odd commands and callback data, and the properties every
answer must keep (no error handler, no refusal, always an answer)."""

from __future__ import annotations

import logging
import os
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tgserver.html import utf16_len
from tgserver.server import TelegramServer

# Examples per cheap test; moderate by default so that all hostile tests together take well under two minutes.
# Raise it for a long hunt: WIJKHULP_HOSTILE_EXAMPLES=500 ./dev test tests/e2e/test_hostile_*.py
EXAMPLES = int(os.environ.get("WIJKHULP_HOSTILE_EXAMPLES", "30"))


def hostile_settings(share: float = 1.0) -> settings:
    """Hypothesis settings for end-to-end examples: `share` of EXAMPLES (slow flows run fewer), no deadline (a
    round trip takes milliseconds, unevenly), and the running bot is a function-scoped fixture on purpose
    (reused across examples, each example starting from a clean step)."""
    return settings(
        max_examples=max(1, round(EXAMPLES * share)),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


# Pieces that broke bots before: markup, entities, format fields, invisible and direction marks, combining
# characters, emoji sequences, control characters, lookalike digits, things that look like our own syntax.
NASTY_PIECES = [
    "<b>",
    "</b>",
    "</a>",
    "<a href='tg://user?id=1'>",
    "<i><b>x</i></b>",
    "&amp;",
    "&",
    "&lt;",
    "&#0;",
    "&#x110000;",
    "<script>alert(1)</script>",
    "<tg-spoiler>",
    "<",
    ">",
    '"',
    "'",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u202e",
    "\u202d",
    "\u200f",
    "\u200e",
    "\u2066",
    "\u2069",
    "e\u0301",
    "\u0301\u0301\u0301",
    "Z̴̡̛͔̹a̷l̸g̶o̶",
    "🧑🏽‍⚕️",
    "👨‍👩‍👧‍👦",
    "🇳🇱",
    "\U0001f600",
    "\x00",
    "\x01",
    "\x07",
    "\x1b[31m",
    "\x7f",
    "\x85",
    "\t",
    "\n",
    "\r\n",
    "\r",
    "\u2028",
    "\u2029",
    "\u00a0",
    "\u3000",
    "𝕳𝖊𝖑𝖑𝖔",
    "ﷺ",
    "%s",
    "%(name)s",
    "{0}",
    "{name}",
    "{id}",
    "{",
    "}",
    "${x}",
    "\\",
    "`",
    "*bold*",
    "_x_",
    "/help",
    "@wijkhulp_test_bot",
    "v1:oa:1",
    "'; DROP TABLE members; --",
    "ß",
    "İ",
    "ﬃ",
    "Ⅻ",
    "٣",
    "۳",
    "१२",
    "²",
    "½",
    "31-02-2026",
    "29-02-2027",
    "00-00",
    "08:00-12:30",
    "25:00-26:00",
    "12:3O",
    "di 3 dec",
    "ma 31 feb",
    "99999999999999999999",
    "-1",
    "0",
    "NaN",
    "None",
    "https://",
    "javascript:alert(1)",
    "geen",
    "123456782",
    "Jan Jansen geb. 12-03-1956",
]

CHARACTERS = st.characters(exclude_categories=["Cs"])  # any code point that UTF-8 can carry


def as_stored(text: str) -> str:
    """What an accepted free text is stored as: trimmed, control characters (but newlines and tabs) removed."""
    return "".join(c for c in text if c in "\t\n\r" or unicodedata.category(c) != "Cc").strip()


def sendable(text: str) -> bool:
    """What a Telegram app lets a person send: something besides whitespace, at most 4096 UTF-16 units."""
    return bool(text.strip()) and utf16_len(text) <= 4096


def nasty_text(max_size: int = 600) -> st.SearchStrategy[str]:
    """Random and nasty text a person could type or paste, up to Telegram's 4096-unit limit."""
    piece = st.one_of(st.sampled_from(NASTY_PIECES), st.text(CHARACTERS, max_size=12))
    long_repeat = st.builds(
        lambda unit, size: (unit * size)[:size],
        st.sampled_from(["a", "<b>", "&amp;", "é", "🧑🏽‍⚕️", "\u200b.", "1-2, ", "x\n"]),
        st.integers(min_value=490, max_value=4096),
    )
    return st.one_of(
        st.lists(piece, min_size=1, max_size=10).map("".join),
        st.text(CHARACTERS, min_size=1, max_size=max_size),
        long_repeat,
    ).filter(lambda text: sendable(text[:4096]) and utf16_len(text) <= 4096)


def nasty_name(max_size: int = 64) -> st.SearchStrategy[str]:
    """A Telegram first or last name: 1-64 characters of anything."""
    piece = st.one_of(st.sampled_from(NASTY_PIECES), st.text(CHARACTERS, max_size=8))
    return (
        st.one_of(st.lists(piece, min_size=1, max_size=6).map("".join), st.text(CHARACTERS, min_size=1))
        .map(lambda name: name[:max_size])
        .filter(lambda name: bool(name.strip()))
    )


def nasty_callback_data() -> st.SearchStrategy[str]:
    """Anything a client can put in callback_data: 1-64 bytes."""
    return st.one_of(
        st.text(CHARACTERS, min_size=1, max_size=64),
        st.lists(st.sampled_from(["v1", "v0", "v2", ":", "oa", "ac", "cr", "lang", "ms", "1", "0", "-1", "x"]))
        .map(":".join)
        .filter(bool),
    ).filter(lambda data: 1 <= len(data.encode()) <= 64)


class ErrorWatch(logging.Handler):
    """Collects ERROR log records: the error handler (and PTB, for anything it catches itself) logs there."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def check(self, server: TelegramServer, what: object) -> None:
        """No error was logged and Telegram refused nothing since the last check."""
        errors = [f"{r.name}: {r.getMessage()} {r.exc_info[1] if r.exc_info else ''!r}" for r in self.records]
        self.records.clear()
        refusals = server.take_refusals()
        assert not errors, f"errors logged for {what!r}: {errors}"
        assert not refusals, f"Telegram refused calls for {what!r}: {[str(r) for r in refusals]}"
        assert not server.unanswered_queries(), f"a button press was left unanswered for {what!r}"


@contextmanager
def watching_errors() -> Iterator[ErrorWatch]:
    """An ErrorWatch on the root logger for the duration."""
    watch = ErrorWatch()
    root = logging.getLogger()
    root.addHandler(watch)
    try:
        yield watch
    finally:
        root.removeHandler(watch)
