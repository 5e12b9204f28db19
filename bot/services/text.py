"""Typed text as it is stored: without the control characters nobody means to type."""

from __future__ import annotations

import re
import unicodedata

# C0 and C1 control characters except tab, newline and carriage return. NUL in particular: PostgreSQL cannot
# store it in text, so one pasted NUL would otherwise fail the whole update.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_text(text: str) -> str:
    """The text without control characters (newlines and tabs stay); not trimmed."""
    return _CONTROL.sub("", text)


# In a name, characters that change how the rest of a message reads or that hide: bidi embeddings, overrides
# and isolates (U+202A-202E, U+2066-2069: "Bob\u202e" turns the text after it around), direction marks,
# zero-width spaces, word joiners and other invisible format characters, the byte-order mark, and the fillers
# used for "invisible" names. Zero-width joiners stay: emoji and some scripts need them and they move nothing.
_HIDING = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u206f\u3164\ufeff\uffa0]"
)
# Line breaks in a name would start a new line in someone else's message.
_BREAKS = re.compile("[\t\n\r\x85\u2028\u2029]+")
_RIGHT_TO_LEFT = ("R", "AL")
FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE = "\u2068", "\u2069"


def clean_name(name: str) -> str:
    """A Telegram name as stored: without control characters, line breaks or characters that hide or turn text
    around, trimmed, at most 200 characters. It may end up empty (a name of only such characters); views then
    show "member 7" instead."""
    return clean_text(_BREAKS.sub(" ", _HIDING.sub("", name))).strip()[:200]


def isolated(name: str) -> str:
    """A name to put into a message: a right-to-left name (Arabic, Hebrew) is wrapped in a first-strong isolate,
    so that it cannot reorder the words, numbers and punctuation around it; other names are left as they are."""
    if any(unicodedata.bidirectional(character) in _RIGHT_TO_LEFT for character in name):
        return f"{FIRST_STRONG_ISOLATE}{name}{POP_DIRECTIONAL_ISOLATE}"
    return name


def only_control_characters(typed: str, cleaned: str) -> bool:
    """Whether something was typed but nothing of it survives cleaning (`\\x00`, or NULs and spaces).

    Such text is refused with its own explanation, never stored as an empty value or silently as "none": the
    person meant to type something and should know that it did not come through.
    """
    return not cleaned and bool(typed.strip())
