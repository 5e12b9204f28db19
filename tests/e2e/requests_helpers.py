"""People of the example network for request tests, and posting a request the way a manager does."""

from __future__ import annotations

import re
from dataclasses import dataclass

from db.models import Role
from tests.harness import Harness
from tgserver.client import SimUser


@dataclass
class Noordwest:
    """Wijk Maastricht Noordwest (malberg, pottenberg, caberg, daalhof) and a few people around it."""

    anna: SimUser  # practice manager, caberg: the requester
    bob: SimUser  # doktersassistent, malberg
    carol: SimUser  # doktersassistent, pottenberg
    dirk: SimUser  # triagist, daalhof
    eva: SimUser  # doktersassistent, caberg: the requester's own practice
    frank: SimUser  # doktersassistent, maasoever: another wijk
    gert: SimUser  # huisarts, malberg: another role
    stien: SimUser  # medical student, regional pool


async def noordwest(bot: Harness) -> Noordwest:
    """Everyone joins through an invite, as in real life."""
    people = {
        "anna": ("caberg", Role.PRAKTIJKMANAGER),
        "bob": ("malberg", Role.DOKTERSASSISTENT),
        "carol": ("pottenberg", Role.DOKTERSASSISTENT),
        "dirk": ("daalhof", Role.TRIAGIST),
        "eva": ("caberg", Role.DOKTERSASSISTENT),
        "frank": ("maasoever", Role.DOKTERSASSISTENT),
        "gert": ("malberg", Role.HUISARTS),
        "stien": (None, Role.MEDISCH_STUDENT),
    }
    users = {}
    for name, (practice, role) in people.items():
        user = bot.server.user(first_name=name.capitalize(), language_code="nl")
        await bot.join(user, practice, role)
        users[name] = user
    return Noordwest(**users)


async def post(
    bot: Harness,
    requester: SimUser,
    *,
    role: str | re.Pattern[str] = "doktersassistent",
    days: tuple[str, ...] = ("Morgen",),
    dayparts: tuple[str, ...] = ("Ochtend",),
    urgency: str = "Normaal",
    note: str | None = None,
) -> int:
    """Go through /verzoek with buttons (days by label prefix, or typed when they contain a digit)."""
    await requester.send("/verzoek")
    await requester.press(requester.last(), role)
    for day in days:
        if any(ch.isdigit() for ch in day):
            await requester.send(day)
        else:
            await requester.press(requester.last(), re.compile("^" + re.escape(day)))
    await requester.press(requester.last(), "Verder ›")
    for part in dayparts:
        if any(ch.isdigit() for ch in part):
            await requester.send(part)
        else:
            await requester.press(requester.last(), part)
    await requester.press(requester.last(), urgency)
    if note is None:
        await requester.press(requester.last(), "Geen notitie")
    else:
        await requester.send(note)
    await requester.press(requester.last(), "✅ Versturen")
    match = re.search(r"Hulpvraag #(\d+)", requester.last().text)
    assert match is not None, requester.last().text
    return int(match.group(1))
