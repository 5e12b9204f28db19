"""Walking one cell of the permission table: set up, act as the persona, and judge what happened.

An allowed cell must show an effect that is not a refusal (and, where the row changes something, change the
database). A denied cell must get a short refusal (a message or a button answer), leave every table as it was
(the outbox included), and send nothing to anyone else.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.i18n import Translator
from bot.permission_table import Persona, Row
from tests.e2e.permission_world import ZONE, World, anchor
from tgserver.client import SimGroup, SimUser
from tgserver.state import ChatMessage

NL = Translator("nl", ZONE)

# Every way the bot says no (msgids). A denied cell must answer with one of these (up to its first placeholder).
REFUSALS_EN = (
    "This button no longer works.",
    "You cannot do that with this request.",
    "You cannot do that (any more).",
    "You cannot do that with this meeting.",
    "You cannot do that with this action point.",
    "This request is from your own practice.",
    "Only members who can fill this role can offer here.",
    "Only a regional coordinator can see this.",
    "Only a regional coordinator can link a group to a wijk.",
    "Only a regional coordinator can unlink a group, and this group must be linked.",
    "Only a regional coordinator can make invitations.",
    "Only practice managers and GPs of a practice can post a request. /help shows what you can do.",
    "Only practice managers and GPs of a practice have requests to show.",
    "You are not a member yet. Open your invitation link to join.",
    "This is for members who can be asked to help.",
    "Only the regional coordinator can plan wijk meetings.",
    "Only members of the network have meetings. /help explains more.",
    "Only members of the network have action points. /help explains more.",
    "You are not invited to this meeting.",
    "Join first; until then I follow your Telegram language.",
    "This request cannot be widened (any more).",
    "This invitation is for another region. Ask your coordinator to move you.",
    "You are already a member of {where}. Ask the regional coordinator if you have moved to another practice.",
    "Figures are for coordinators, practice managers and GPs.",
    # Forged or stale ids and arguments get these.
    "This request no longer exists.",
    "Choose at least one day-part first.",
    "I don't know this invitation code.",
    "This page of your meetings is not there (any more). Send /meetings for the first page.",
    "You have no meetings in {month}.",
)
REFUSALS = tuple(NL.gettext(text).split("{")[0] for text in REFUSALS_EN)
SHORT = 300  # characters: a refusal is a sentence or two, never a screenful


def is_refusal(text: str) -> bool:
    """Whether the bot said no."""
    return any(text.startswith(refusal) for refusal in REFUSALS)


@dataclass
class Attempt:
    """What the persona does in a cell, and how to tell that an allowed cell worked."""

    send: str | None = None  # a message to send (a command)
    data: str | None = None  # or callback_data to press
    chat: SimGroup | None = None  # where; the private chat if None
    message: ChatMessage | None = None  # the message to press on; see permission_world.anchor
    changes: bool = False  # an allowed cell must change the database
    worked: Callable[[], Awaitable[bool]] | None = None  # a further check of an allowed cell
    after: Callable[[], Awaitable[None]] | None = None  # put back what an allowed cell changed
    cleanup: tuple[str, ...] = ()  # sent by the persona after an allowed cell (e.g. /annuleer)
    actor: SimUser | None = None  # who acts instead of the persona (see World.lookalike)


Scenario = Callable[[World, SimUser, Persona], Awaitable[Attempt]]


@dataclass
class Seen:
    """The bot's side of the chats the persona sees, to tell what is new afterwards."""

    texts: dict[tuple[int, int], tuple[str, int, str]] = field(default_factory=dict)
    others: int = 0
    answers: int = 0


def _look(world: World, who: SimUser, group: SimGroup | None) -> Seen:
    seen = Seen(answers=len(who.callback_answers))
    mine = {who.id} | ({group.id} if group else set())
    for chat_id, chat in world.bot.server.world.chats.items():
        for message in chat.messages:
            if not message.from_bot:
                continue
            if chat_id in mine:
                markup = repr(message.reply_markup)
                shown = message.text or ("[document]" if message.document else "")
                seen.texts[(chat_id, message.message_id)] = (shown, message.edited, markup)
            else:
                seen.others += 1
    return seen


def _responses(before: Seen, after: Seen, who: SimUser) -> list[str]:
    """New messages and edits in the persona's chats, and new answers to their presses (non-empty)."""
    found = [state[0] for key, state in after.texts.items() if key not in before.texts or before.texts[key] != state]
    found += [answer.text or "" for answer in who.callback_answers[before.answers :]]
    return [text for text in found if text]


def _diff(before: dict[str, list[tuple[Any, ...]]], after: dict[str, list[tuple[Any, ...]]]) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]


@dataclass
class Outcome:
    """What one attempt did: the persona's answers, the tables it changed, whether others were messaged."""

    responses: list[str]
    changed: list[str]
    others_messaged: bool


async def perform(world: World, who: SimUser, attempt: Attempt) -> Outcome:
    """Do the attempt and record its effects; Telegram refusals fail at once."""
    await world.bot.dispatch()
    world.bot.server.take_refusals()  # set-up only; the attempt's own calls are checked below
    tables = await world.fingerprint()
    seen = _look(world, who, attempt.chat)
    if attempt.send is not None:
        await who.send(attempt.send, attempt.chat)
    else:
        assert attempt.data is not None
        target = attempt.message or (attempt.chat.last() if attempt.chat else anchor(who, attempt.data))
        await who.press_data(target, attempt.data)
    await world.bot.dispatch()
    now_seen = _look(world, who, attempt.chat)
    refusals = world.bot.server.take_refusals()
    assert not refusals, f"Telegram would refuse {[str(r) for r in refusals]}"
    changed = _diff(tables, await world.fingerprint())
    return Outcome(_responses(seen, now_seen, who), changed, now_seen.others != seen.others)


def assert_denied(outcome: Outcome, cell: str) -> None:
    """A short refusal, nothing changed, nobody else told."""
    responses = outcome.responses
    assert responses, f"{cell} is denied but got no answer at all"
    assert any(is_refusal(text) for text in responses), f"{cell} is denied but got {responses}"
    assert all(len(text) <= SHORT for text in responses), f"{cell}: the refusal is not short: {responses}"
    assert not outcome.changed, f"{cell} is denied but changed {outcome.changed}; saw {responses}"
    assert not outcome.others_messaged, f"{cell} is denied but someone else was sent a message"


async def walk(world: World, row: Row, persona: Persona, scenario: Scenario) -> None:
    """Set up, act, and check the cell against the table."""
    who = await world.person(persona)
    world.fresh, world.row_key = row.allowed(persona), row.key
    attempt = await scenario(world, who, persona)
    who = attempt.actor or who
    cell = f"{row.key} / {persona.value}"
    outcome = await perform(world, who, attempt)
    if attempt.chat is not None:
        await world.unlink_groups()
    if not row.allowed(persona):
        assert_denied(outcome, cell)
        return
    responses = outcome.responses
    assert responses, f"{cell} is allowed but nothing visible happened"
    refused = [text for text in responses if is_refusal(text)]
    assert not refused, f"{cell} is allowed but was refused: {refused}"
    if attempt.changes:
        assert outcome.changed, f"{cell} is allowed but changed nothing; saw {responses}"
    if attempt.worked is not None:
        assert await attempt.worked(), f"{cell} is allowed but did not work; saw {responses}"
    for text in attempt.cleanup:
        await who.send(text)
    if attempt.after is not None:
        await attempt.after()
    await world.bot.dispatch()
