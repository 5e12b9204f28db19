"""The permission table (bot/permission_table.py), walked cell by cell through the real bot.

One scenario per row sets up what the row is about and says what the persona does; `permission_walk.walk`
checks the cell: allowed cells work, denied cells get a short refusal and change nothing. A row without a
scenario fails, so a new command or button cannot be added to the table untested.

Adding a command: one row in bot/permission_table.py, e.g.
    command("mijngegevens", "mydata", what="export your data", rule=P + "is_member", allowed=MEMBERS),
then one scenario here, e.g.  SCENARIOS["mijngegevens"] = _command("/mijngegevens")  (a reply that is a
document counts as an answer). A scenario that would use its persona up (deleting oneself) acts through a
lookalike for allowed cells:  Attempt(..., actor=await world.lookalike(persona) if world.fresh else None).
Denied cells share what a row is about (`world.thing`); allowed cells get their own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
import pytest_asyncio
from sqlalchemy import select
from telegram.ext import CommandHandler, ConversationHandler

from bot.permission_table import TABLE, Persona, Row, rows
from bot.services.requests import CancelReason, load_request
from db.meetings import Meeting, MeetingInvitee, MeetingOccurrence
from db.models import RequestStatus
from handlers.callback_data import Action, encode
from tests.e2e.permission_walk import Attempt, Scenario, walk
from tests.e2e.permission_world import OWN_PRACTICE, OWN_WIJK, World, running_world
from tgserver.client import SimUser

pytestmark = pytest.mark.asyncio(loop_scope="module")

SCENARIOS: dict[str, Scenario] = {}


def scenario(*keys: str) -> Callable[[Scenario], Scenario]:
    """Register the scenario of one or more rows."""

    def register(function: Scenario) -> Scenario:
        for key in keys:
            SCENARIOS[key] = function
        return function

    return register


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(template_database: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    """One bot and its people for the whole walk: setting them up per cell would take minutes."""
    async for built in running_world(template_database, tmp_path_factory.mktemp("permissions")):
        yield built


def _day(world: World, days: int) -> str:
    day = world.today + timedelta(days=days)
    return f"{day.day}-{day.month}-{day.year}"


# --- commands -----------------------------------------------------------------------------------------------


def _command(text: str, *, changes: bool = False, cleanup: tuple[str, ...] = ()) -> Scenario:
    async def run(world: World, who: SimUser, persona: Persona) -> Attempt:
        return Attempt(send=text, changes=changes, cleanup=cleanup)

    return run


for _key, _text in (
    ("start", "/start"),
    ("help", "/help"),
    ("annuleer", "/annuleer"),
    ("profiel", "/profiel"),
    ("taal", "/taal"),
    ("mijnverzoeken", "/mijnverzoeken"),
    ("beschikbaarheid", "/beschikbaarheid"),
    ("open", "/open"),
    ("uitnodiging", "/uitnodiging"),
    ("bijeenkomsten", "/bijeenkomsten"),
    ("actiepunten", "/actiepunten"),
    ("privacy", "/privacy"),
    ("mijngegevens", "/mijngegevens"),
    ("verwijdermij", "/verwijdermij"),
    ("audit", "/audit"),
    ("cijfers", "/cijfers"),
):
    SCENARIOS[_key] = _command(_text)
SCENARIOS["verzoek"] = _command("/verzoek", cleanup=("/annuleer",))
SCENARIOS["bijeenkomst"] = _command("/bijeenkomst", cleanup=("/annuleer",))
SCENARIOS["stilleuren"] = _command("/stilleuren 22:00-06:30", changes=True)


@scenario("start CODE")
async def open_invite(world: World, who: SimUser, persona: Persona) -> Attempt:
    code = await world.invite_code()

    async def offered() -> bool:
        return any(b.text == "Ja, aanmelden" for row in who.last().buttons for b in row)

    return Attempt(send=f"/start {code}", worked=offered)


@scenario("afwezig")
async def day_off(world: World, who: SimUser, persona: Persona) -> Attempt:
    return Attempt(send=f"/afwezig {_day(world, 85)}", changes=True)


@scenario("pauze")
async def pause(world: World, who: SimUser, persona: Persona) -> Attempt:
    return Attempt(send=f"/pauze {_day(world, 3)}", changes=True, cleanup=("/pauze uit",))


@scenario("koppelgroep")
async def link_command(world: World, who: SimUser, persona: Persona) -> Attempt:
    return Attempt(send="/koppelgroep", chat=await world.group(who))


@scenario("ontkoppelgroep")
async def unlink_command(world: World, who: SimUser, persona: Persona) -> Attempt:
    return Attempt(send="/ontkoppelgroep", chat=await world.group(who, linked=True), changes=True)


# --- buttons: joining, language, invitations, phone ------------------------------------------------------------


@scenario("JOIN_CONFIRM")
async def join_confirm(world: World, who: SimUser, persona: Persona) -> Attempt:
    # An allowed join changes who the person is (a role, maybe a practice): a lookalike joins instead.
    actor = await world.lookalike(persona) if world.fresh else None
    return Attempt(data=encode(Action.JOIN_CONFIRM, await world.invite_code()), changes=True, actor=actor)


@scenario("JOIN_DECLINE")
async def join_decline(world: World, who: SimUser, persona: Persona) -> Attempt:
    return Attempt(data=encode(Action.JOIN_DECLINE, await world.invite_code()))


@scenario("LANGUAGE")
async def language(world: World, who: SimUser, persona: Persona) -> Attempt:
    return Attempt(data=encode(Action.LANGUAGE, "nl"))


@scenario("INVITE_WIJK")
async def invite_wijk(world: World, who: SimUser, persona: Persona) -> Attempt:
    return Attempt(data=encode(Action.INVITE_WIJK, world.ids[OWN_WIJK]))


@scenario("INVITE_PRACTICE")
async def invite_practice(world: World, who: SimUser, persona: Persona) -> Attempt:
    return Attempt(data=encode(Action.INVITE_PRACTICE, world.ids[OWN_PRACTICE]))


@scenario("INVITE_ROLE")
async def invite_role(world: World, who: SimUser, persona: Persona) -> Attempt:
    return Attempt(data=encode(Action.INVITE_ROLE, world.ids[OWN_PRACTICE], "doktersassistent"), changes=True)


@scenario("INVITE_BACK")
async def invite_back(world: World, who: SimUser, persona: Persona) -> Attempt:
    return Attempt(data=encode(Action.INVITE_BACK))


@scenario("PHONE")
async def phone(world: World, who: SimUser, persona: Persona) -> Attempt:
    return Attempt(data=encode(Action.PHONE, "stop"))


@scenario("CALENDAR_FEED")
async def calendar_feed(world: World, who: SimUser, persona: Persona) -> Attempt:
    return Attempt(data=encode(Action.CALENDAR_FEED, "stop"))


@scenario("AVAILABILITY")
async def availability(world: World, who: SimUser, persona: Persona) -> Attempt:
    return Attempt(data=encode(Action.AVAILABILITY, "t", 4, "middag"), changes=True)


# --- buttons: conversations (a step only counts inside one's own running form) -------------------------------


@scenario("REQUEST_STEP")
async def request_step(world: World, who: SimUser, persona: Persona) -> Attempt:
    data = encode(Action.REQUEST_STEP, "role", "doktersassistent")
    if persona is Persona.OWN_MANAGER:
        await who.send("/verzoek")
    return Attempt(data=data, cleanup=("/annuleer",))


@scenario("MEETING_STEP")
async def meeting_step(world: World, who: SimUser, persona: Persona) -> Attempt:
    data = encode(Action.MEETING_STEP, "w", world.ids[OWN_WIJK])
    if persona is Persona.COORDINATOR:
        await who.send("/bijeenkomst")
    return Attempt(data=data, cleanup=("/annuleer",))


@scenario("ACTION_STEP")
async def action_step(world: World, who: SimUser, persona: Persona) -> Attempt:
    data = encode(Action.ACTION_STEP, "p", world.ids[OWN_PRACTICE])
    if persona is Persona.COORDINATOR:
        occurrence = await world.occurrence(begun=True)
        await who.press_data(who.last(), encode(Action.ACTION_ADD, occurrence))
        await who.send("Rooster rondsturen")
    return Attempt(data=data, cleanup=("/annuleer",))


# --- buttons: requests and offers ------------------------------------------------------------------------------


def _on_request(action: Action, *args: str | int, changes: bool = False) -> Scenario:
    async def run(world: World, who: SimUser, persona: Persona) -> Attempt:
        request_id = await world.thing(world.request)
        return Attempt(data=encode(action, request_id, *args), changes=changes)

    return run


SCENARIOS["OFFER_ALL"] = _on_request(Action.OFFER_ALL, changes=True)
SCENARIOS["OFFER_PICK"] = _on_request(Action.OFFER_PICK, 0, 2)
SCENARIOS["OFFER_SOME"] = _on_request(Action.OFFER_SOME, 1, 2, changes=True)
SCENARIOS["CANT"] = _on_request(Action.CANT, changes=True)
SCENARIOS["WIDEN"] = _on_request(Action.WIDEN, changes=True)
SCENARIOS["NUDGE"] = _on_request(Action.NUDGE, changes=True)


@scenario("OFFER_BACK")
async def offer_back(world: World, who: SimUser, persona: Persona) -> Attempt:
    request_id = await world.thing(world.request)
    if persona is Persona.SAME_WIJK:  # the picker is open, so closing it shows
        opened = encode(Action.OFFER_PICK, request_id, 0, 2)
        await who.press_data(next(m for m in reversed(who.messages()) if _carries(m, opened)), opened)
    return Attempt(data=encode(Action.OFFER_BACK, request_id))


def _carries(message: object, data: str) -> bool:
    return any(b.callback_data == data for row in getattr(message, "buttons", []) for b in row)


@scenario("CANCEL_REQUEST")
async def cancel_request(world: World, who: SimUser, persona: Persona) -> Attempt:
    request_id = await world.thing(world.request)

    async def cancelled() -> bool:
        async with world.bot.session() as session:
            request = await load_request(session, request_id)
            return request is not None and request.status == RequestStatus.CANCELLED

    data = encode(Action.CANCEL_REQUEST, request_id, CancelReason.NOT_NEEDED.value)
    return Attempt(data=data, changes=True, worked=cancelled)


@scenario("ADD_DAYS")
async def add_days(world: World, who: SimUser, persona: Persona) -> Attempt:
    request_id = await world.thing(world.request)
    return Attempt(data=encode(Action.ADD_DAYS, request_id), cleanup=("/annuleer",))


def _on_offer(action: Action, status: str, *, accepted: bool = False) -> Scenario:
    async def run(world: World, who: SimUser, persona: Persona) -> Attempt:
        offer_id = await world.thing(lambda: world.offer(accepted=accepted), "offer")

        async def decided() -> bool:
            return await world.offer_status(offer_id) == status

        return Attempt(data=encode(action, offer_id), changes=True, worked=decided)

    return run


SCENARIOS["ACCEPT"] = _on_offer(Action.ACCEPT, "accepted")
SCENARIOS["DECLINE_OFFER"] = _on_offer(Action.DECLINE_OFFER, "declined")
SCENARIOS["WITHDRAW"] = _on_offer(Action.WITHDRAW, "withdrawn", accepted=True)


@scenario("LINK_GROUP")
async def link_button(world: World, who: SimUser, persona: Persona) -> Attempt:
    group = await world.group(who)
    await world.people[Persona.COORDINATOR].send("/koppelgroep", group)
    return Attempt(data=encode(Action.LINK_GROUP, world.ids[OWN_WIJK]), chat=group, changes=True)


# --- buttons: meetings and action points -----------------------------------------------------------------------


@scenario("MEETING_RSVP")
async def rsvp(world: World, who: SimUser, persona: Persona) -> Attempt:
    occurrence = await world.thing(world.occurrence)

    async def answered() -> bool:
        async with world.bot.session() as session:
            found = await session.scalar(
                select(MeetingInvitee.answer).where(
                    MeetingInvitee.occurrence_id == occurrence,
                    MeetingInvitee.member_id == (await world.member(who)).id,
                )
            )
            return found == "y"

    return Attempt(data=encode(Action.MEETING_RSVP, occurrence, "y"), changes=True, worked=answered)


@scenario("MEETING_SHOW")
async def meeting_show(world: World, who: SimUser, persona: Persona) -> Attempt:
    return Attempt(data=encode(Action.MEETING_SHOW, await world.thing(world.occurrence)))


@scenario("MEETING_PAGE")
async def meeting_page(world: World, who: SimUser, persona: Persona) -> Attempt:
    """The first page: a member without dates is told so (an answer, not a refusal)."""
    return Attempt(data=encode(Action.MEETING_PAGE, 0))


@scenario("MEETING_MOVE")
async def meeting_move(world: World, who: SimUser, persona: Persona) -> Attempt:
    return Attempt(data=encode(Action.MEETING_MOVE, await world.thing(world.occurrence)), cleanup=("/annuleer",))


@scenario("MEETING_CANCEL")
async def meeting_cancel(world: World, who: SimUser, persona: Persona) -> Attempt:
    occurrence = await world.thing(world.occurrence)

    async def cancelled() -> bool:
        async with world.bot.session() as session:
            found = await session.get(MeetingOccurrence, occurrence)
            return found is not None and found.status == "cancelled"

    return Attempt(data=encode(Action.MEETING_CANCEL, occurrence, "y"), changes=True, worked=cancelled)


@scenario("MEETING_EDIT_MENU")
async def meeting_edit_menu(world: World, who: SimUser, persona: Persona) -> Attempt:
    return Attempt(data=encode(Action.MEETING_EDIT_MENU, await world.thing(world.occurrence)))


@scenario("MEETING_EDIT")
async def meeting_edit(world: World, who: SimUser, persona: Persona) -> Attempt:
    occurrence = await world.thing(world.occurrence)
    return Attempt(data=encode(Action.MEETING_EDIT, occurrence, "title"), cleanup=("/annuleer",))


@scenario("MEETING_CANCEL_ALL")
async def meeting_cancel_all(world: World, who: SimUser, persona: Persona) -> Attempt:
    occurrence = await world.thing(world.occurrence)

    async def cancelled() -> bool:
        async with world.bot.session() as session:
            found = await session.get(MeetingOccurrence, occurrence)
            meeting = await session.get(Meeting, found.meeting_id) if found is not None else None
            return meeting is not None and meeting.cancelled_at is not None

    return Attempt(data=encode(Action.MEETING_CANCEL_ALL, occurrence, "y"), changes=True, worked=cancelled)


@scenario("MEETING_NUDGE")
async def meeting_nudge(world: World, who: SimUser, persona: Persona) -> Attempt:
    occurrence = await world.thing(world.occurrence)

    async def nudged() -> bool:
        async with world.bot.session() as session:
            found = await session.get(MeetingOccurrence, occurrence)
            return found is not None and found.nudged_on is not None

    return Attempt(data=encode(Action.MEETING_NUDGE, occurrence), changes=True, worked=nudged)


@scenario("ACTION_ADD")
async def action_add(world: World, who: SimUser, persona: Persona) -> Attempt:
    occurrence = await world.thing(lambda: world.occurrence(begun=True), "begun")
    return Attempt(data=encode(Action.ACTION_ADD, occurrence), cleanup=("/annuleer",))


@scenario("ACTION_DONE")
async def action_done(world: World, who: SimUser, persona: Persona) -> Attempt:
    return Attempt(data=encode(Action.ACTION_DONE, await world.thing(world.action_point)), changes=True)


@scenario("AUDIT")
async def audit_page(world: World, who: SimUser, persona: Persona) -> Attempt:
    return Attempt(data=encode(Action.AUDIT, 1, "all"))


@scenario("FIGURES")
async def figures_period(world: World, who: SimUser, persona: Persona) -> Attempt:
    return Attempt(data=encode(Action.FIGURES, "m0", "r"))


@scenario("FIGURES_FILE")
async def figures_file(world: World, who: SimUser, persona: Persona) -> Attempt:
    return Attempt(data=encode(Action.FIGURES_FILE, "pdf", f"{world.today:%Y%m}", "r"))


@scenario("DELETE_ME")
async def delete_me(world: World, who: SimUser, persona: Persona) -> Attempt:
    """Allowed cells remove a lookalike (the persona is needed for the rest of the walk)."""
    minute = int(world.now.timestamp() // 60)
    if world.fresh and persona is not Persona.STRANGER:
        actor = await world.lookalike(persona)
        member = await world.member(actor)

        async def removed() -> bool:
            return await world.bot.member(actor) is None

        return Attempt(data=encode(Action.DELETE_ME, "y", member.id, minute), changes=True, worked=removed, actor=actor)
    owner = await world.member(world.people[Persona.OWN_MANAGER])
    return Attempt(data=encode(Action.DELETE_ME, "y", owner.id, minute))


# --- the walk ------------------------------------------------------------------------------------------------


CELLS = [(row, persona) for row in TABLE for persona in Persona]


@pytest.mark.parametrize(("row", "persona"), CELLS, ids=[f"{r.key}-{p.value}" for r, p in CELLS])
async def test_cell(world: World, row: Row, persona: Persona) -> None:
    """Each cell of the table behaves as the table says."""
    if row.key not in SCENARIOS:
        pytest.fail(f"row {row.key!r} of the permission table has no scenario in {__name__}")
    await walk(world, row, persona, SCENARIOS[row.key])


async def test_every_command_and_button_is_in_the_table(world: World) -> None:
    """The table names every Action and every command the running bot answers, and nothing else."""
    assert {row.key for row in rows("button")} == {action.name for action in Action}
    registered: set[str] = set()
    pending = list(world.bot.app.handlers[0])
    while pending:
        handler = pending.pop()
        if isinstance(handler, ConversationHandler):
            pending += [*handler.entry_points, *handler.fallbacks]
        elif isinstance(handler, CommandHandler):
            registered |= set(handler.commands)
    assert registered == {name.split()[0] for row in rows("command") for name in row.names}
