"""Typed text as it is stored: without the control characters nobody means to type."""

from __future__ import annotations

import re

# C0 and C1 control characters except tab, newline and carriage return. NUL in particular: PostgreSQL cannot
# store it in text, so one pasted NUL would otherwise fail the whole update.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_text(text: str) -> str:
    """The text without control characters (newlines and tabs stay); not trimmed."""
    return _CONTROL.sub("", text)


def clean_name(name: str) -> str:
    """A Telegram name as stored: without control characters, trimmed, at most 200 characters. It may end up
    empty (a name of only control characters); views then show "member 7" instead."""
    return clean_text(name).strip()[:200]


def only_control_characters(typed: str, cleaned: str) -> bool:
    """Whether something was typed but nothing of it survives cleaning (`\\x00`, or NULs and spaces).

    Such text is refused with its own explanation, never stored as an empty value or silently as "none": the
    person meant to type something and should know that it did not come through.
    """
    return not cleaned and bool(typed.strip())
