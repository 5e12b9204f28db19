"""Hostile input, part 3: Telegram names and group titles, as they travel into other people's messages.

A person's first and last name are theirs to choose (1-64 and 0-64 characters of anything); they appear in the
welcome, in offers to the requester, in the accepted offer's contact line and in the wijk group's post.
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from db.models import Role
from tests.e2e.hostile import hostile_settings, nasty_name, watching_errors
from tests.e2e.requests_helpers import post
from tests.harness import Harness
from tests.tgserver.client import SimUser


@pytest.fixture
async def corrie(bot: Harness) -> SimUser:
    corrie = bot.server.user(first_name="Corrie")
    await bot.make_coordinator(corrie)
    await corrie.send("/help")
    return corrie


def clean(name: str) -> str:
    """The name as stored: without control characters, trimmed, at most 200 characters."""
    return "".join(c for c in name if c in "\t\n\r" or unicodedata.category(c) != "Cc").strip()[:200]


names = st.tuples(nasty_name(), st.one_of(st.none(), nasty_name()))
usernames = st.one_of(st.none(), st.from_regex(r"[A-Za-z][A-Za-z0-9_]{4,31}", fullmatch=True))


@hostile_settings(share=1 / 3)
@given(requester=names, helper=names, username=usernames, title=nasty_name(max_size=128))
@example(requester=("\x00", None), helper=("Bob", "\x01\x02"), username=None, title="\x00")
async def test_names_in_offers_contacts_and_groups(
    bot: Harness,
    corrie: SimUser,
    requester: tuple[str, str | None],
    helper: tuple[str, str | None],
    username: str | None,
    title: str,
) -> None:
    anna = bot.server.user(first_name=requester[0], last_name=requester[1], username=username)
    bob = bot.server.user(first_name=helper[0], last_name=helper[1])
    group = bot.server.group(title=title, members=[corrie, anna, bob])
    with watching_errors() as watch:
        await bot.join(anna, "caberg", Role.PRAKTIJKMANAGER)
        await bot.join(bob, "malberg", Role.DOKTERSASSISTENT)
        watch.check(bot.server, "joining")
        member = await bot.member(anna)
        assert member is not None and member.display_name == clean(" ".join(filter(None, requester)))
        await corrie.send("/koppelgroep", chat=group)
        await corrie.press(group.last(), "Maastricht Noordwest")
        watch.check(bot.server, "linking the group")

        request_id = await post(bot, anna, days=("Morgen",), dayparts=("Hele dag",))
        await bot.dispatch()
        watch.check(bot.server, "posting")
        posted = group.last()
        assert posted.text.startswith(f"Hulpvraag #{request_id}\n")
        await bob.press(posted, "Ik kan alles")
        await bot.dispatch()
        watch.check(bot.server, "offering")
        offer = anna.last()
        assert offer.text.startswith(f"Aanbod voor hulpvraag #{request_id}"), offer.text
        await anna.press(offer, "Accepteren")
        await bot.dispatch()
        watch.check(bot.server, "accepting")
        assert re.search(r"Je aanbod is geaccepteerd", bob.last().text), bob.last().text
        await corrie.send("/ontkoppelgroep", chat=group)
        watch.check(bot.server, "unlinking")
