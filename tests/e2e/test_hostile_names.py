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
from tgserver.client import SimUser


@pytest.fixture
async def corrie(bot: Harness) -> SimUser:
    corrie = bot.server.user(first_name="Corrie")
    await bot.make_coordinator(corrie)
    await corrie.send("/help")
    return corrie


# What may not reach anyone inside a name: explicit direction controls (embeddings, overrides, isolates) and
# marks, and the invisible characters a name could hide behind.
TURNING = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
HIDING = set("\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180e\u200b\u3164\ufeff\uffa0") | {
    chr(code) for code in range(0x2060, 0x2070)
}
BREAKS = "\t\n\r\x85\u2028\u2029"


def clean(name: str) -> str:
    """The name as stored: no control characters, no direction controls or hiding characters, line breaks made
    spaces, trimmed, at most 200 characters."""
    kept = "".join(c for c in name if c not in TURNING | HIDING)
    kept = re.sub(f"[{BREAKS}]+", " ", kept)
    return "".join(c for c in kept if unicodedata.category(c) != "Cc").strip()[:200]


def isolates_balanced(text: str) -> bool:
    """Every first-strong isolate the bot put around a name is closed, and nothing else turns text around."""
    return text.count("\u2068") == text.count("\u2069") and not set(text) & (TURNING - {"\u2068", "\u2069"})


names = st.tuples(nasty_name(), st.one_of(st.none(), nasty_name()))
usernames = st.one_of(st.none(), st.from_regex(r"[A-Za-z][A-Za-z0-9_]{4,31}", fullmatch=True))


@hostile_settings(share=1 / 3)
@given(requester=names, helper=names, username=usernames, title=nasty_name(max_size=128))
@example(requester=("\x00", None), helper=("Bob", "\x01\x02"), username=None, title="\x00")
@example(requester=("محمد", "\u2067x"), helper=("Bob\u202e", "nav\u200b\ncoordinator"), username=None, title="\u202e")
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
        assert isolates_balanced(offer.text), ascii(offer.text)
        await anna.press(offer, "Accepteren")
        await bot.dispatch()
        watch.check(bot.server, "accepting")
        assert re.search(r"Je aanbod is geaccepteerd", bob.last().text), bob.last().text
        assert isolates_balanced(bob.last().text), ascii(bob.last().text)
        await corrie.send("/ontkoppelgroep", chat=group)
        watch.check(bot.server, "unlinking")
