"""Hostile input, part 1: every command with odd arguments, and button presses with any callback_data at all.

Properties: the error handler is never reached, Telegram refuses none of the bot's calls, every message and
every press gets an answer, and a press whose data is not ours changes nothing in the database.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import func, select

from db.models import Base, Role
from handlers.callback_data import decode
from handlers.commands import BASE_COMMANDS, COORDINATOR_COMMANDS
from handlers.general import PRIVATE_COMMANDS
from tests.e2e.hostile import CHARACTERS, hostile_settings, nasty_callback_data, nasty_text, watching_errors
from tests.e2e.requests_helpers import post
from tests.harness import Harness
from tgserver.client import SimGroup, SimUser

COMMANDS = sorted(
    {name for nl, en, _ in (*BASE_COMMANDS, *COORDINATOR_COMMANDS) for name in (nl, en)}
    | set(PRIVATE_COMMANDS)
    | {"start", "afwezig", "dayoff", "pauze", "pause", "stilleuren", "quiethours", "open", "koppelgroep"}
    | {"ontkoppelgroep", "linkgroup", "unlinkgroup", "bestaatniet", "Help", "START", "a" * 32}
)
# Arguments people (and scripts) type: dates that do not exist, deep-link payloads, times, whatever.
ODD_ARGUMENTS = [
    "31-02-2026",
    "29-02-2027",
    "24-12, 31-12, 31-02",
    "uit",
    "UIT",
    "21:00-07:00",
    "25:61-00:00",
    "00:00-00:00",
    "9999-99-99",
    "ma 31 feb",
    "-1",
    "x" * 64,
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123456789-_",
    "../../etc/passwd",
    "%00",
    "v1:jy:abc",
    "24-12\n31-12",
    "1" * 5000,
]


@dataclass
class People:
    anna: SimUser  # practice manager, caberg, with an open request
    bob: SimUser  # assistant, malberg, asked for it
    corrie: SimUser  # coordinator
    stranger: SimUser  # no member
    group: SimGroup  # all four, and the bot


@pytest.fixture
async def people(bot: Harness) -> People:
    """A small network with one open request, so that genuine buttons exist to be mutated."""
    anna = bot.server.user(first_name="Anna")
    bob = bot.server.user(first_name="Bob")
    corrie = bot.server.user(first_name="Corrie")
    stranger = bot.server.user(first_name="Sam")
    await bot.join(anna, "caberg", Role.PRAKTIJKMANAGER)
    await bot.join(bob, "malberg", Role.DOKTERSASSISTENT)
    await bot.make_coordinator(corrie)
    await post(bot, anna, days=("Morgen",), dayparts=("Hele dag",), note="Sleutel bij de balie")
    await bot.dispatch()
    for person in (corrie, stranger):
        await person.send("/help")
    group = bot.server.group(title="Wijk <b>Noordwest</b> & co", members=[anna, bob, corrie, stranger])
    return People(anna, bob, corrie, stranger, group)


UNCOUNTED = (
    "conversation_state",
    "outbox_message",
    "audit_entry",
    "digest_sent",
    "monthly_report_sent",
    "handled_update",
)


async def fingerprint(bot: Harness) -> dict[str, int]:
    """Row counts of every table a press could change (not the conversation state, the outbox or the audit log,
    nor the daily digest or the monthly report, which the job queue may send at any moment, nor the ids of handled
    updates)."""
    counts = {}
    async with bot.session() as session:
        for table in Base.metadata.sorted_tables:
            if table.name not in UNCOUNTED:
                counts[table.name] = await session.scalar(select(func.count()).select_from(table)) or 0
    return counts


def arguments() -> st.SearchStrategy[str]:
    return st.one_of(
        st.just(""),
        st.sampled_from(ODD_ARGUMENTS).map(lambda arg: arg[:4000]),
        nasty_text(max_size=200),
    )


@hostile_settings(share=2)
@given(
    who=st.sampled_from(["anna", "bob", "corrie", "stranger"]),
    command=st.sampled_from(COMMANDS),
    suffix=st.sampled_from(["", "@wijkhulp_test_bot", "@otherbot", "@WIJKHULP_TEST_BOT"]),
    separator=st.sampled_from([" ", "\n", "  ", "\t"]),
    argument=arguments(),
    in_group=st.booleans(),
)
async def test_commands_with_odd_arguments(
    bot: Harness,
    people: People,
    who: str,
    command: str,
    suffix: str,
    separator: str,
    argument: str,
    in_group: bool,
) -> None:
    user: SimUser = getattr(people, who)
    text = f"/{command}{suffix}{separator}{argument}" if argument else f"/{command}{suffix}"
    text = text[:4096]
    with watching_errors() as watch:
        if in_group:
            # In a group the bot answers only what is addressed to it; it must never fail or be refused.
            await user.send(text, chat=people.group)
            watch.check(bot.server, ("group", text))
            return
        before = len(user.messages())
        await user.send(text)
        assert len(user.messages()) > before, f"no answer to {text!r}"
        watch.check(bot.server, text)
        await user.send("/annuleer")  # leave whatever the command started, for the next example
        watch.check(bot.server, "/annuleer")


REPLACEMENTS = st.one_of(
    st.sampled_from(["", "0", "1", "2", "99999999999", "999999999999999", "-1", "x", "v2", "1\n", "١"]),
    st.text(CHARACTERS, max_size=8),
)
# How to mutate a genuine callback_data: which one (an index into whatever exists), which part, and how.
# Drawn independently of the bot's state, so that hypothesis can replay and shrink examples.
MUTATIONS = st.tuples(
    st.integers(0, 1000), st.sampled_from(["replace", "drop", "add"]), st.integers(0, 10), REPLACEMENTS
)


def mutate(genuine: list[str], mutation: tuple[int, str, int, str]) -> str:
    """A genuine callback_data with one part replaced, dropped, or added."""
    which, how, where, replacement = mutation
    original = genuine[which % len(genuine)]
    parts = original.split(":")
    where %= len(parts)
    if how == "replace":
        parts[where] = replacement
    elif how == "drop":
        del parts[where]
    else:
        parts.append(replacement)
    data = ":".join(parts)
    return data if 1 <= len(data.encode()) <= 64 else original


@hostile_settings(share=2)
@given(
    who=st.sampled_from(["anna", "bob", "corrie", "stranger"]),
    forged=st.one_of(nasty_callback_data(), MUTATIONS),
)
@example(who="bob", forged="v1:oa:1\n")  # a trailing newline once passed as part of an argument
async def test_any_callback_data(
    bot: Harness, people: People, who: str, forged: str | tuple[int, str, int, str]
) -> None:
    user: SimUser = getattr(people, who)
    genuine = sorted(
        {
            button.callback_data
            for person in (people.anna, people.bob, people.corrie)
            for message in person.messages()
            for row in message.buttons
            for button in row
            if button.callback_data
        }
    )
    payload = forged if isinstance(forged, str) else mutate(genuine, forged)
    target = user.messages(include_deleted=False)[-1]
    await bot.dispatch()  # what the last example left in the outbox may still be on its way
    before = await fingerprint(bot)
    with watching_errors() as watch:
        answers = len(user.callback_answers)
        await user.press_data(target, payload)
        assert len(user.callback_answers) == answers + 1, f"press {payload!r} was not answered"
        watch.check(bot.server, payload)
        if decode(payload) is None:
            after = await fingerprint(bot)
            changed = {name: (before[name], after[name]) for name in after if after[name] != before[name]}
            assert not changed, f"a press with foreign data {payload!r} changed {changed}"
        await user.send("/annuleer")
        watch.check(bot.server, "/annuleer")
