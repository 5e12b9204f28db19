"""Typed text as stored: control characters go, everything a person means stays."""

from __future__ import annotations

from datetime import date

import pytest

from bot.services.actions import ActionError, check_action_text
from bot.services.meetings import MeetingError, check_text
from bot.services.requests import RequestError, check_note
from bot.services.text import clean_name, clean_text, isolated


def test_control_characters_go_newlines_tabs_and_everything_visible_stay() -> None:
    assert clean_text("a\x00b\x01c\x1b[31md\x7fe\x85f") == "abc[31mdef"
    assert clean_text("regel 1\r\nregel 2\tkolom") == "regel 1\r\nregel 2\tkolom"
    kept = "<b>&amp;</b> 🧑🏽\u200d⚕️ \u202eRTL\u202c e\u0301 \u200b {name} ٣"
    assert clean_text(kept) == kept, "markup, emoji, direction marks and format fields are not ours to remove"


TODAY = date(2026, 11, 23)


def test_typed_text_of_only_control_characters_is_refused_not_stored_empty() -> None:
    """Issue 17: something typed that cleans to nothing is refused with its own explanation, in every field."""
    with pytest.raises(RequestError) as request:
        check_note("\x00\x01 \x02", TODAY)
    with pytest.raises(MeetingError) as title:
        check_text("\x00", 200, TODAY, required=True)
    with pytest.raises(MeetingError) as agenda:
        check_text("\x00\n", 2000, TODAY)
    with pytest.raises(ActionError) as action:
        check_action_text("\x00", TODAY)
    codes = {request.value.code, title.value.code, agenda.value.code, action.value.code}
    assert codes == {"only_control_characters"}


def test_nothing_typed_is_no_value_and_a_required_field_says_so() -> None:
    assert check_note(None, TODAY) is None and check_note("   ", TODAY) is None
    assert check_text(" ", 2000, TODAY) is None
    with pytest.raises(MeetingError, match="missing_title"):
        check_text(" ", 200, TODAY, required=True)
    with pytest.raises(ActionError, match="missing_text"):
        check_action_text(" ", TODAY)


def test_control_characters_inside_text_go_and_the_rest_is_kept_trimmed() -> None:
    assert check_note(" Sleutel\x00 bij de balie ", TODAY) == "Sleutel bij de balie"
    assert check_text("Wijk\x00overleg ", 200, TODAY) == "Wijkoverleg"


def test_a_name_of_only_control_characters_is_stored_empty() -> None:
    assert clean_name("\x00\x01") == ""
    assert clean_name("  Anna\x00 de Vries ") == "Anna de Vries"
    assert len(clean_name("x" * 300)) == 200


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("Bob\u202e ten\u202c", "Bob ten"),  # a right-to-left override would turn the rest of the message around
        ("\u2067Eve\u2069 \u2066x", "Eve x"),  # isolates, balanced or not
        ("Ad\u200bmin\u200f\ufeff", "Admin"),  # zero-width space, direction mark, byte-order mark
        ("\u3164\u115f", ""),  # fillers that make an "invisible" name: shown as "member 7"
        ("Anna\nAccepted by the coordinator", "Anna Accepted by the coordinator"),  # no line of its own
        ("Zoë 🧑🏽\u200d⚕️", "Zoë 🧑🏽\u200d⚕️"),  # emoji keep their joiner
        ("محمد", "محمد"),
    ],
)
def test_a_name_cannot_hide_or_turn_the_text_around_it(name: str, stored: str) -> None:
    assert clean_name(name) == stored


def test_a_right_to_left_name_is_isolated_in_a_message_and_others_are_left_alone() -> None:
    assert isolated("محمد") == "\u2068محمد\u2069"
    assert isolated("Sara כהן") == "\u2068Sara כהן\u2069"
    assert isolated("Anna Jansen") == "Anna Jansen"
    assert isolated("") == ""
