"""Typed text as stored: control characters go, everything a person means stays."""

from __future__ import annotations

from datetime import date

from bot.services.requests import check_note
from bot.services.text import clean_text


def test_control_characters_go_newlines_tabs_and_everything_visible_stay() -> None:
    assert clean_text("a\x00b\x01c\x1b[31md\x7fe\x85f") == "abc[31mdef"
    assert clean_text("regel 1\r\nregel 2\tkolom") == "regel 1\r\nregel 2\tkolom"
    kept = "<b>&amp;</b> 🧑🏽\u200d⚕️ \u202eRTL\u202c e\u0301 \u200b {name} ٣"
    assert clean_text(kept) == kept, "markup, emoji, direction marks and format fields are not ours to remove"


def test_a_note_of_only_control_characters_is_no_note() -> None:
    assert check_note("\x00\x01 \x02", date(2026, 11, 23)) is None
    assert check_note(" Sleutel\x00 bij de balie ", date(2026, 11, 23)) == "Sleutel bij de balie"
