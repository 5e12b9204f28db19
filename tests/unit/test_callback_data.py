"""callback_data is input: the scheme refuses what it did not make."""

from __future__ import annotations

import pytest

from handlers.callback_data import Action, decode, encode


def test_round_trip() -> None:
    data = encode(Action.INVITE_ROLE, 12, "doktersassistent")
    assert data == "v1:ir:12:doktersassistent"
    parsed = decode(data)
    assert parsed is not None
    assert parsed.action is Action.INVITE_ROLE
    assert parsed.int_arg(0) == 12
    assert parsed.args[1] == "doktersassistent"


@pytest.mark.parametrize(
    "data",
    [None, "", "v0:jy:abc", "v2:jy:abc", "v1:nope:1", "v1", "garbage", "v1:jy:a b", "v1:jy:<b>", "v1:" + "x" * 80],
)
def test_forged_or_stale_data_is_refused(data: str | None) -> None:
    assert decode(data) is None


def test_int_arg_refuses_non_numbers() -> None:
    parsed = decode("v1:iw:-1")
    assert parsed is not None
    assert parsed.int_arg(0) is None
    assert parsed.int_arg(5) is None


def test_encode_refuses_what_telegram_would() -> None:
    with pytest.raises(ValueError):
        encode(Action.JOIN_CONFIRM, "x" * 70)
    with pytest.raises(ValueError):
        encode(Action.JOIN_CONFIRM, "has:colon")


def test_an_argument_with_a_trailing_newline_is_forged() -> None:
    assert decode("v1:oa:1\n") is None
    with pytest.raises(ValueError):
        encode(Action.OFFER_ALL, "1\n")
