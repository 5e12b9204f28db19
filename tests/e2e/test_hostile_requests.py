"""Hostile input, part 2: the free-text steps of /verzoek (days, times, the note), and the note as others see it.

Properties: no error handler, no refusal, always an answer; a refused note stores nothing, an accepted one is
stored as typed (trimmed) and reaches the people asked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import func, select

from db.models import Role, ShortageRequest
from tests.e2e.hostile import as_stored, hostile_settings, nasty_text, watching_errors
from tests.harness import Harness
from tgserver.client import SimUser

SEND = "✅ Versturen"


@dataclass
class Pair:
    anna: SimUser  # practice manager, caberg
    bob: SimUser  # assistant, malberg: asked for every request


@pytest.fixture
async def pair(bot: Harness) -> Pair:
    anna = bot.server.user(first_name="Anna")
    bob = bot.server.user(first_name="Bob")
    await bot.join(anna, "caberg", Role.PRAKTIJKMANAGER)
    await bot.join(bob, "malberg", Role.DOKTERSASSISTENT)
    return Pair(anna, bob)


async def requests(bot: Harness) -> list[ShortageRequest]:
    async with bot.session() as session:
        return list(await session.scalars(select(ShortageRequest).order_by(ShortageRequest.id)))


async def count_requests(bot: Harness) -> int:
    async with bot.session() as session:
        return await session.scalar(select(func.count()).select_from(ShortageRequest)) or 0


async def answered(user: SimUser, text: str) -> None:
    """Send and check that the bot said something back."""
    before = len(user.messages())
    await user.send(text)
    assert len(user.messages()) > before, f"no answer to {text!r}"


def has_button(user: SimUser, label: str) -> bool:
    return label in user.last().button_texts


@hostile_settings(share=2 / 3)
@given(note=nasty_text())
@example(note="\x00")  # once stored as no note while the test expected '' (issue 17): now refused, explained
@example(note="\x00 \x01\n")
@example(note="a\x00b")  # one NUL made PostgreSQL fail the whole update
async def test_request_note(bot: Harness, pair: Pair, note: str) -> None:
    anna = pair.anna
    with watching_errors() as watch:
        await anna.send("/verzoek")
        await anna.press(anna.last(), "doktersassistent")
        await anna.press(anna.last(), re.compile("^Morgen"))
        await anna.press(anna.last(), "Verder ›")
        await anna.press(anna.last(), "Ochtend")
        await anna.press(anna.last(), "Normaal")
        watch.check(bot.server, "the steps before the note")
        before = await count_requests(bot)
        await answered(anna, note)
        watch.check(bot.server, note)
        if has_button(anna, SEND):
            await anna.press(anna.last(), SEND)
            await bot.dispatch()
            watch.check(bot.server, note)
            stored = (await requests(bot))[-1]
            assert len(await requests(bot)) == before + 1
            assert as_stored(note), f"a note of only control characters {note!r} was accepted"
            assert stored.note == as_stored(note)
            assert re.search(rf"Hulpvraag #{stored.id}\b", pair.bob.last().text), "bob was asked"
        else:
            if not as_stored(note):
                assert "only control characters" in anna.last().text or "alleen stuurtekens" in anna.last().text
            await anna.send("/annuleer")
            watch.check(bot.server, "/annuleer")
            assert await count_requests(bot) == before, f"a refused note {note!r} stored a request"


DAYISH = st.lists(
    st.sampled_from(
        [
            "3-12",
            "31-02-2026",
            "29-2",
            "24-11-2026",
            "di 3 dec",
            "ma 3 dec",
            "vandaag",
            "morgen",
            ",",
            ", ",
            "\n",
            " ",
            "08:00-12:30",
            "13:00 - 17:30",
            "24:00-25:00",
            "12:30-08:00",
            "8-9",
            "½",
            "٣-١٢",
            "00:00-23:59",
            "-",
            "3-12-99999",
        ]
    ),
    min_size=1,
    max_size=12,
).map("".join)


@hostile_settings()
@given(step=st.sampled_from(["days", "times"]), text=st.one_of(DAYISH, nasty_text(max_size=300)).filter(str.strip))
async def test_request_days_and_times(bot: Harness, pair: Pair, step: str, text: str) -> None:
    anna = pair.anna
    with watching_errors() as watch:
        await anna.send("/verzoek")
        await anna.press(anna.last(), "doktersassistent")
        if step == "times":
            await anna.press(anna.last(), re.compile("^Morgen"))
            await anna.press(anna.last(), "Verder ›")
        watch.check(bot.server, "the steps before")
        await answered(anna, text)
        watch.check(bot.server, text)
        await anna.send("/annuleer")
        watch.check(bot.server, "/annuleer")
