"""A press costs the same whatever the number of people involved ("Fast at any size"): the SQL statements the
bot runs, and the rows it loads, for one RSVP press, one look at a meeting's card and one offer press are
counted with a few people invited or asked, and again with 45 more, and must be the same (the card: at most
MAX_NAMES more names)."""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy import event, select
from sqlalchemy.engine import Connection

from bot.services.notices import MeetingIcs, MeetingInvite, Notice
from bot.services.outbox import Claimed
from db.base import Base
from db.meetings import Answer, MeetingInvitee, MeetingOccurrence
from db.models import (
    Member,
    MemberRole,
    Offer,
    OfferSlot,
    OfferStatus,
    Practice,
    RequestRecipient,
    RequestSlot,
    Role,
)
from handlers.context import DISPATCHER_KEY, RUNTIME_KEY
from handlers.dispatch import Dispatcher, for_reader
from handlers.meeting_views import MAX_NAMES
from tests.e2e.meetings_helpers import cast, invitations, plan
from tests.e2e.requests_helpers import noordwest, post
from tests.harness import Harness

MORE = 45
# PTB handles updates in its fetcher task (one at a time, as the bot runs), or in a task per update; their ends
# are written by the finish line's task (handlers/once.py).
UPDATE_TASKS = (":update_fetcher", ":process_concurrent_update", "finish-line")


@dataclass
class Cost:
    """What one press made the bot do: the SQL statements it sent, and the rows it turned into objects."""

    statements: list[str] = field(default_factory=list)
    loaded: list[str] = field(default_factory=list)


def _pressing() -> bool:
    task = asyncio.current_task()
    return task is not None and task.get_name().endswith(UPDATE_TASKS)


@asynccontextmanager
async def counting(bot: Harness) -> AsyncIterator[Cost]:
    """What the running bot does while handling updates meanwhile. The outbox is held back (its lock taken)
    and sent afterwards; what PTB's persistence task writes on its own timer is not the press's work and is
    left out (it made the count flaky on a loaded machine)."""
    engine = bot.app.bot_data[RUNTIME_KEY].database.engine.sync_engine
    cost = Cost()

    def executed(conn: Connection, cursor: object, statement: str, *args: object) -> None:
        if _pressing():
            cost.statements.append(statement)

    def loaded(target: object, context: object) -> None:
        if _pressing():
            cost.loaded.append(type(target).__name__)

    dispatcher = bot.app.bot_data[DISPATCHER_KEY]
    assert isinstance(dispatcher, Dispatcher)
    await bot.dispatch()
    event.listen(engine, "before_cursor_execute", executed)
    event.listen(Base, "load", loaded, propagate=True)
    try:
        async with dispatcher._lock:
            yield cost
    finally:
        event.remove(engine, "before_cursor_execute", executed)
        event.remove(Base, "load", loaded)
    await bot.dispatch()


def differ(few: list[str], many: list[str]) -> str:
    """What the two runs did differently, one line per statement or object, for the failure message."""
    lines = [[item.split("\n")[0][:160] for item in run] for run in (few, many)]
    return "\n".join(difflib.unified_diff(lines[0], lines[1], "few", "many", lineterm="", n=100))


def same(few: Cost, many: Cost) -> None:
    """As many statements, and as many objects loaded, with 45 more people involved."""
    assert len(many.statements) == len(few.statements), differ(few.statements, many.statements)
    assert sorted(many.loaded) == sorted(few.loaded), differ(sorted(few.loaded), sorted(many.loaded))


async def cost(bot: Harness, act: Callable[[], Awaitable[object]]) -> Cost:
    async with counting(bot) as seen:
        await act()
    assert seen.statements, "no statement seen: the press ran in a task this test does not know"
    return seen


async def extra_members(bot: Harness, count: int) -> list[int]:
    """Members who exist only in the database (no chat with the bot), in a Noordwest practice."""
    async with bot.session() as session:
        practice = await session.scalar(select(Practice).where(Practice.name.like("%Malberg%")))
        assert practice is not None
        anyone = await session.scalar(select(Member).where(Member.practice_id == practice.id))
        assert anyone is not None
        members = [
            Member(
                telegram_user_id=9_000_000 + index,
                region_id=anyone.region_id,
                practice_id=practice.id,
                display_name=f"Extra {index}",
                language="nl",
                joined_at=bot.clock.now(),
                role_rows=[MemberRole(role=Role.DOKTERSASSISTENT.value)],
            )
            for index in range(count)
        ]
        session.add_all(members)
        await session.flush()
        return [member.id for member in members]


async def test_rsvp_press_and_card_cost_the_same_for_7_or_52_invited(bot: Harness) -> None:
    everyone = await cast(bot)
    bob, corrie = everyone.people.bob, everyone.corrie
    await plan(bot, corrie)
    await bot.dispatch()
    [invite] = invitations(bob)

    async def card() -> None:
        await corrie.send("/bijeenkomsten")
        await corrie.press(corrie.last(), corrie.last().button_texts[0])

    await card()  # once before counting: the first look may differ in what the chat already knows
    few_press = await cost(bot, lambda: bob.press(invite, "Ja"))
    few_card = await cost(bot, card)
    assert bob.callback_answers[-1].text == "Opgeslagen: Ja"

    ids = await extra_members(bot, MORE)
    async with bot.session() as session:
        occurrence = await session.scalar(select(MeetingOccurrence))
        assert occurrence is not None
        session.add_all(
            MeetingInvitee(
                occurrence_id=occurrence.id, member_id=member_id, invited_at=bot.clock.now(), answer=Answer.YES
            )
            for member_id in ids
        )
    shown = next(m for m in bob.messages() if m.message_id == invite.message_id)
    many_press = await cost(bot, lambda: bob.press(shown, "Nee"))
    many_card = await cost(bot, card)
    assert bob.callback_answers[-1].text == "Opgeslagen: Nee"
    assert f"Ja ({MORE + 1})" in corrie.last().text and "Extra 0" in corrie.last().text  # and the organiser

    same(few_press, many_press)
    # The card names the first MAX_NAMES of each answer: 45 more saying yes load at most MAX_NAMES more.
    assert len(many_card.statements) == len(few_card.statements), differ(few_card.statements, many_card.statements)
    assert len(few_card.loaded) < len(many_card.loaded) <= len(few_card.loaded) + MAX_NAMES


async def test_offer_press_costs_the_same_for_few_or_many_asked_and_offers(bot: Harness) -> None:
    people = await noordwest(bot)
    anna, bob, carol = people.anna, people.bob, people.carol
    request_id = await post(bot, anna, days=("Morgen",), dayparts=("Hele dag",))
    await bot.dispatch()
    bob_copy, carol_copy = bob.last(), carol.last()

    few = await cost(bot, lambda: bob.press(bob_copy, "Ik kan alles"))
    assert "Dank je! Je aanbod is verstuurd" in (bob.callback_answers[-1].text or "")

    ids = await extra_members(bot, MORE)
    async with bot.session() as session:
        slots = list(await session.scalars(select(RequestSlot.id).where(RequestSlot.request_id == request_id)))
        for member_id in ids:
            session.add(
                RequestRecipient(request_id=request_id, member_id=member_id, chat_id=1, created_at=bot.clock.now())
            )
            session.add(
                Offer(
                    request_id=request_id,
                    member_id=member_id,
                    status=OfferStatus.PENDING,
                    created_at=bot.clock.now(),
                    slot_rows=[OfferSlot(slot_id=slot_id) for slot_id in slots],
                )
            )
    many = await cost(bot, lambda: carol.press(carol_copy, "Ik kan alles"))
    assert "Dank je! Je aanbod is verstuurd" in (carol.callback_answers[-1].text or "")
    assert "Je hebt aangeboden te helpen" in carol.last().text

    same(few, many)


def writes(seen: Cost) -> list[str]:
    """The statements that changed something, by verb and table ("INSERT INTO handled_update")."""
    changing = ("INSERT", "UPDATE", "DELETE")
    return [" ".join(s.split()[:3]) for s in seen.statements if s.lstrip().upper().startswith(changing)]


async def test_an_update_that_changes_nothing_writes_only_that_it_was_handled(bot: Harness) -> None:
    people = await noordwest(bot)
    anna = people.anna
    await anna.send("/help")  # the first time PTB sees her, her empty state may be written once
    seen = await cost(bot, lambda: anna.send("/help"))
    assert "/verzoek" in anna.last().text
    # Handled through to the end, and so out of the inbox: one transaction, nothing else.
    assert writes(seen) == ["INSERT INTO handled_update", "DELETE FROM received_update"], seen.statements


async def test_a_form_step_saves_its_state_with_the_handled_mark(bot: Harness) -> None:
    people = await noordwest(bot)
    anna = people.anna
    await anna.send("/verzoek")
    seen = await cost(bot, lambda: anna.press(anna.last(), anna.last().button_texts[0]))
    changed = writes(seen)
    # The step's conversation state and the user's draft, and the handled mark: all after the handler's own work.
    assert changed[-2:] == ["INSERT INTO handled_update", "DELETE FROM received_update"], changed
    assert "INSERT INTO conversation_state" in changed, changed
    assert changed.count("INSERT INTO handled_update") == 1, changed


async def render_cost(bot: Harness, member_id: int, notices: list[Notice]) -> Cost:
    """The statements and objects of rendering each notice for one member, as the outbox does."""
    engine = bot.database.engine.sync_engine  # the engine of bot.session(), which renders here
    seen = Cost()
    me = asyncio.current_task()  # the bot's own sweeps run meanwhile: not this render's work

    def executed(conn: Connection, cursor: object, statement: str, *args: object) -> None:
        if asyncio.current_task() is me:
            seen.statements.append(statement)

    def loaded(target: object, context: object) -> None:
        if asyncio.current_task() is me:
            seen.loaded.append(type(target).__name__)

    async with bot.session() as session:
        member = await session.get(Member, member_id)
        assert member is not None
        chat_id = member.telegram_user_id
    event.listen(engine, "before_cursor_execute", executed)
    event.listen(Base, "load", loaded, propagate=True)
    try:
        for notice in notices:
            row = Claimed(1, notice.kind, chat_id, member_id, None, notice, 1)
            async with bot.session() as session:
                assert await for_reader(session, row, bot.app.bot_data[RUNTIME_KEY]) is not None
    finally:
        event.remove(engine, "before_cursor_execute", executed)
        event.remove(Base, "load", loaded)
    return seen


async def test_a_meeting_message_costs_the_same_for_7_or_52_invited(bot: Harness) -> None:
    """Each of a fan-out's messages loads what it shows, not the whole invitation: else N messages cost N^2."""
    everyone = await cast(bot)
    await plan(bot, everyone.corrie)
    await bot.dispatch()
    async with bot.session() as session:
        occurrence = await session.scalar(select(MeetingOccurrence))
        bob = await session.scalar(select(Member).where(Member.telegram_user_id == everyone.people.bob.id))
        assert occurrence is not None and bob is not None
        occurrence_id, bob_id = occurrence.id, bob.id
    notices: list[Notice] = [MeetingInvite(occurrence_id=occurrence_id), MeetingIcs(occurrence_id=occurrence_id)]
    few = await render_cost(bot, bob_id, notices)

    ids = await extra_members(bot, MORE)
    async with bot.session() as session:
        session.add_all(
            MeetingInvitee(occurrence_id=occurrence_id, member_id=member_id, invited_at=bot.clock.now())
            for member_id in ids
        )
    many = await render_cost(bot, bob_id, notices)
    assert few.statements, "nothing counted: the render ran on another engine or task"
    same(few, many)
