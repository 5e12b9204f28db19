"""Forged callback_data: another request's id, another practice's offer, a made-up action, an old version
prefix, garbage, over-long data, non-numeric and unknown ids, and a coordinator of another region. Every one
gets a short answer and changes nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest
import pytest_asyncio

from bot.permission_table import Persona
from bot.services.requests import NeededRole
from handlers.callback_data import Action, encode
from tests.e2e.permission_walk import Attempt, assert_denied, perform
from tests.e2e.permission_world import OWN_PRACTICE, OWN_WIJK, World, running_world
from tgserver.client import SimUser

pytestmark = pytest.mark.asyncio(loop_scope="module")

MISSING = 987654321  # an id no table holds


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(template_database: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    """One bot and its people for all forged presses."""
    async for built in running_world(template_database, tmp_path_factory.mktemp("forged")):
        yield built


@dataclass(frozen=True)
class Forged:
    """Who presses, and the data (built from the world, which may set up what it refers to)."""

    who: Persona
    data: Callable[[World], Awaitable[str]]


def fixed(data: str) -> Callable[[World], Awaitable[str]]:
    async def build(world: World) -> str:
        return data

    return build


async def _other_request_offer(world: World) -> str:
    """The same-wijk member was asked for the own practice's request, not for this GP request."""
    await world.request()
    return encode(Action.OFFER_ALL, await world.request(Persona.OTHER_MANAGER, NeededRole.HUISARTS))


async def _other_request_cancel(world: World) -> str:
    await world.request()
    return encode(Action.CANCEL_REQUEST, await world.request(Persona.OTHER_MANAGER), "not_needed")


async def _other_practice_offer(world: World) -> str:
    """An offer on another practice's request, pressed by the own practice's manager."""
    return encode(Action.ACCEPT, await world.offer(author=Persona.OTHER_MANAGER))


async def _someone_elses_withdraw(world: World) -> str:
    return encode(Action.WITHDRAW, await world.offer(accepted=True))


async def _too_many_slots(world: World) -> str:
    return encode(Action.OFFER_SOME, await world.request(), 255, 2)


async def _bad_answer(world: World) -> str:
    return f"v1:mr:{await world.occurrence()}:x"


async def _pool_with_practice_role(world: World) -> str:
    return encode(Action.INVITE_ROLE, 0, "praktijkmanager")


async def _practice_with_student_role(world: World) -> str:
    return encode(Action.INVITE_ROLE, world.ids[OWN_PRACTICE], "medisch-student")


async def _coordinator_role(world: World) -> str:
    return encode(Action.INVITE_ROLE, world.ids[OWN_PRACTICE], "coordinator")


async def _other_region_wijk(world: World) -> str:
    return encode(Action.INVITE_WIJK, world.ids["heerlen"])


async def _step_of_no_form(world: World) -> str:
    return encode(Action.REQUEST_STEP, "send")


FORGED: dict[str, Forged] = {
    # Real ids that are not the presser's.
    "another request's id (offer)": Forged(Persona.SAME_WIJK, _other_request_offer),
    "another practice's request (cancel)": Forged(Persona.OWN_MANAGER, _other_request_cancel),
    "another practice's offer (accept)": Forged(Persona.OWN_MANAGER, _other_practice_offer),
    "someone else's offer (withdraw)": Forged(Persona.OTHER_WIJK, _someone_elses_withdraw),
    "a day-part mask beyond the slots": Forged(Persona.OTHER_WIJK, _too_many_slots),
    "an answer that is no answer": Forged(Persona.SAME_WIJK, _bad_answer),
    "the pool invited as practice manager": Forged(Persona.COORDINATOR, _pool_with_practice_role),
    "a practice invited as student": Forged(Persona.COORDINATOR, _practice_with_student_role),
    "an invite for the coordinator role": Forged(Persona.COORDINATOR, _coordinator_role),
    "a wijk of another region": Forged(Persona.COORDINATOR, _other_region_wijk),
    "a form step with no form running": Forged(Persona.OWN_MANAGER, _step_of_no_form),
    "a language we do not speak": Forged(Persona.SAME_WIJK, fixed("v1:lang:fr")),
    "a phone choice that is no choice": Forged(Persona.SAME_WIJK, fixed("v1:ph:steal")),
    "an availability reach that does not exist": Forged(Persona.SAME_WIJK, fixed("v1:av:r:galaxy")),
    "an availability day off that is no date": Forged(Persona.SAME_WIJK, fixed("v1:av:x:20261399")),
    "a meetings page past the last": Forged(Persona.SAME_WIJK, fixed("v1:mp:500")),
    "a meetings page that is no number": Forged(Persona.SAME_WIJK, fixed("v1:mp:x")),
    "a meetings page with extra arguments": Forged(Persona.SAME_WIJK, fixed("v1:mp:0:1")),
    "a month that is no month": Forged(Persona.SAME_WIJK, fixed("v1:mp:m:202713")),
    "a month far away": Forged(Persona.SAME_WIJK, fixed("v1:mp:m:209901")),
    "the month buttons for a page past the last": Forged(Persona.SAME_WIJK, fixed("v1:mp:k:500")),
    # Made-up, old and broken data.
    "a made-up action": Forged(Persona.OWN_MANAGER, fixed("v1:zz:1")),
    "an old version prefix": Forged(Persona.OWN_MANAGER, fixed("v0:ac:1")),
    "a future version prefix": Forged(Persona.OWN_MANAGER, fixed("v2:ac:1")),
    "no version at all": Forged(Persona.OWN_MANAGER, fixed("ac:1")),
    "garbage": Forged(Persona.OWN_MANAGER, fixed("<b>hallo</b>")),
    "only colons": Forged(Persona.OWN_MANAGER, fixed("::::")),
    "a version and nothing else": Forged(Persona.OWN_MANAGER, fixed("v1:")),
    "an action without its id": Forged(Persona.OWN_MANAGER, fixed("v1:ac")),
    "an empty id": Forged(Persona.OWN_MANAGER, fixed("v1:ac:")),
    "emoji": Forged(Persona.OWN_MANAGER, fixed("v1:ac:😀")),
    "over-long data": Forged(Persona.OWN_MANAGER, fixed("v1:ac:" + "1" * 120)),
    "a huge number": Forged(Persona.OWN_MANAGER, fixed("v1:ac:" + "9" * 30)),
    "a non-numeric id": Forged(Persona.OWN_MANAGER, fixed("v1:ac:abc")),
    "a negative id": Forged(Persona.OWN_MANAGER, fixed("v1:cr:-1")),
    "a hex id": Forged(Persona.OWN_MANAGER, fixed("v1:wn:0x10")),
    "id zero": Forged(Persona.OWN_MANAGER, fixed("v1:ac:0")),
    # Ids that do not exist, for every action that takes one.
    **{
        f"an unknown id for {action.name}": Forged(Persona.COORDINATOR, fixed(data))
        for action, data in (
            (Action.ACCEPT, f"v1:ac:{MISSING}"),
            (Action.DECLINE_OFFER, f"v1:ad:{MISSING}"),
            (Action.WITHDRAW, f"v1:ow:{MISSING}"),
            (Action.CANCEL_REQUEST, f"v1:cr:{MISSING}:not_needed"),
            (Action.ADD_DAYS, f"v1:xd:{MISSING}"),
            (Action.WIDEN, f"v1:wn:{MISSING}"),
            (Action.NUDGE, f"v1:np:{MISSING}"),
            (Action.OFFER_ALL, f"v1:oa:{MISSING}"),
            (Action.OFFER_PICK, f"v1:op:{MISSING}:0:2"),
            (Action.OFFER_SOME, f"v1:os:{MISSING}:1:2"),
            (Action.OFFER_BACK, f"v1:ob:{MISSING}"),
            (Action.CANT, f"v1:oc:{MISSING}"),
            (Action.MEETING_RSVP, f"v1:mr:{MISSING}:y"),
            (Action.MEETING_SHOW, f"v1:mv:{MISSING}"),
            (Action.MEETING_MOVE, f"v1:mm:{MISSING}"),
            (Action.MEETING_CANCEL, f"v1:mc:{MISSING}:y"),
            (Action.MEETING_NUDGE, f"v1:mn:{MISSING}"),
            (Action.ACTION_ADD, f"v1:ma:{MISSING}"),
            (Action.ACTION_DONE, f"v1:md:{MISSING}"),
            (Action.INVITE_WIJK, f"v1:iw:{MISSING}"),
            (Action.INVITE_PRACTICE, f"v1:ip:{MISSING}"),
            (Action.INVITE_ROLE, f"v1:ir:{MISSING}:doktersassistent"),
            (Action.JOIN_CONFIRM, "v1:jy:nosuchcode"),
        )
    },
}


@pytest.mark.parametrize("case", list(FORGED))
async def test_forged_press(world: World, case: str) -> None:
    """A short answer, and nothing changes."""
    forged = FORGED[case]
    who = await world.person(forged.who)
    data = await forged.data(world)
    outcome = await perform(world, who, Attempt(data=data))
    assert_denied(outcome, case)


async def test_the_join_button_with_an_unknown_code_says_so(world: World) -> None:
    """An unknown invitation code in the join button: the refusal explains how to get a new one."""
    who = await world.person(Persona.STRANGER)
    outcome = await perform(world, who, Attempt(data="v1:jy:nosuchcode"))
    assert not outcome.changed
    assert any("uitnodiging" in text.lower() for text in outcome.responses), outcome.responses


# --- a coordinator of another region: everything of this region is out of reach -------------------------------


async def _group_menu(world: World, zoe: SimUser) -> Attempt:
    group = await world.group(zoe)
    await world.people[Persona.COORDINATOR].send("/koppelgroep", group)
    return Attempt(data=encode(Action.LINK_GROUP, world.ids[OWN_WIJK]), chat=group)


async def _hijack(world: World, zoe: SimUser) -> Attempt:
    """The group is linked to this region's wijk; the other region's coordinator tries to take it over."""
    group = await world.group(zoe, linked=True)
    await zoe.send("/koppelgroep", group)
    return Attempt(data=encode(Action.LINK_GROUP, world.ids["heerlen"]), chat=group)


async def _unlink(world: World, zoe: SimUser) -> Attempt:
    return Attempt(send="/ontkoppelgroep", chat=await world.group(zoe, linked=True))


OTHER_REGION_COORDINATOR: dict[str, Callable[[World, SimUser], Awaitable[Attempt]]] = {
    "accept an offer": lambda w, z: _attempt(Action.ACCEPT, w.offer()),
    "cancel a request": lambda w, z: _attempt(Action.CANCEL_REQUEST, w.request(), "not_needed"),
    "widen a request": lambda w, z: _attempt(Action.WIDEN, w.request()),
    "add days to a request": lambda w, z: _attempt(Action.ADD_DAYS, w.request()),
    "nudge a request": lambda w, z: _attempt(Action.NUDGE, w.request()),
    "see a meeting": lambda w, z: _attempt(Action.MEETING_SHOW, w.occurrence()),
    "move a meeting": lambda w, z: _attempt(Action.MEETING_MOVE, w.occurrence()),
    "cancel a meeting": lambda w, z: _attempt(Action.MEETING_CANCEL, w.occurrence(), "y"),
    "remind a meeting's non-responders": lambda w, z: _attempt(Action.MEETING_NUDGE, w.occurrence()),
    "add an action point": lambda w, z: _attempt(Action.ACTION_ADD, w.occurrence(begun=True)),
    "close an action point": lambda w, z: _attempt(Action.ACTION_DONE, w.action_point()),
    "invite to a practice": lambda w, z: _fixed_attempt(encode(Action.INVITE_PRACTICE, w.ids[OWN_PRACTICE])),
    "make an invite link": lambda w, z: _fixed_attempt(encode(Action.INVITE_ROLE, w.ids[OWN_PRACTICE], "huisarts")),
    "link a group to this region's wijk": _group_menu,
    "take over a group linked in this region": _hijack,
    "unlink a group linked in this region": _unlink,
}


async def _attempt(action: Action, made: Awaitable[int], *args: str) -> Attempt:
    return Attempt(data=encode(action, await made, *args))


async def _fixed_attempt(data: str) -> Attempt:
    return Attempt(data=data)


@pytest.mark.parametrize("case", list(OTHER_REGION_COORDINATOR))
async def test_a_coordinator_of_another_region_is_refused(world: World, case: str) -> None:
    """Coordinators act for their own region only, whatever id they put in a button."""
    zoe = world.extra.get("zoe")
    if zoe is None:
        zoe = world.extra["zoe"] = await world.other_coordinator()
    attempt = await OTHER_REGION_COORDINATOR[case](world, zoe)
    outcome = await perform(world, zoe, attempt)
    await world.unlink_groups()
    assert_denied(outcome, case)


# --- group posts: a press counts only on the request's own post ------------------------------------------------


async def test_an_offer_from_a_group_the_request_was_never_posted_in_is_refused(world: World) -> None:
    """A member who could be asked presses "I can help" with a request's id in a group the bot is in but the
    request was never posted in (the group is not linked): no offer, a short answer."""
    wim = world.people[Persona.OTHER_WIJK]
    group = await world.group(wim)
    await wim.send("/help", group)
    request_id = await world.request()
    outcome = await perform(world, wim, Attempt(data=encode(Action.OFFER_ALL, request_id), chat=group))
    assert_denied(outcome, "offer from an unlinked group")


async def test_an_offer_on_another_requests_group_post_is_refused(world: World) -> None:
    """In a linked group, the press must be on the post of the request it names: another request's id on an
    older post (forged) does nothing."""
    wim = world.people[Persona.OTHER_WIJK]
    group = await world.group(wim, linked=True)
    await world.request()
    posted = group.last()
    await world.unlink_groups()
    later = await world.request(Persona.OTHER_MANAGER)  # not posted in the group: it was unlinked first
    attempt = Attempt(data=encode(Action.OFFER_ALL, later), chat=group, message=posted)
    outcome = await perform(world, wim, attempt)
    assert_denied(outcome, "offer on another request's group post")
