"""Typed text as it is stored: without the control characters nobody means to type."""

from __future__ import annotations

import re

# C0 and C1 control characters except tab, newline and carriage return. NUL in particular: PostgreSQL cannot
# store it in text, so one pasted NUL would otherwise fail the whole update.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_text(text: str) -> str:
    """The text without control characters (newlines and tabs stay); not trimmed."""
    return _CONTROL.sub("", text)
