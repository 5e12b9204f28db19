"""Seeded Telegram storms for fault tests: 429 floods, 5xx bursts and dropped connections on chosen chats,
and the loop that keeps the outbox going (moving the FakeClock to the next retry) until everything is out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from random import Random

from sqlalchemy import func, select

from bot.services import outbox
from bot.services.invites import create_invite, join_with_invite
from bot.services.members import resolve_region
from bot.services.network import find_practice
from db.models import OutboxMessage, OutboxStatus, Role
from handlers.context import DISPATCHER_KEY
from tests.harness import Harness
from tgserver.client import SimUser
from tgserver.limits import Fault, FaultPlan
from tgserver.state import ChatMessage

OPEN = (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.IN_FLIGHT)


class Storm(FaultPlan):
    """Random but reproducible faults on calls to the given chats, while `raging`.

    A call to a chat that is not in a burst starts one with the given chances: a flood of 3-8 consecutive
    429s (retry_after 1-30 s), a burst of 2-4 consecutive 500/502, or one dropped connection. Faults injected
    the ordinary way (inject_fault) still come first.
    """

    def __init__(
        self, seed: int, chats: set[int], *, flood: float = 0.2, errors: float = 0.2, drops: float = 0.15
    ) -> None:
        super().__init__()
        self.random = Random(seed)
        self.chats = {str(chat) for chat in chats}
        self.chances = (flood, errors, drops)
        self.raging = True
        self.served: Counter[str] = Counter()
        self._bursts: dict[str, list[Fault]] = {}

    def take(self, method: str, chat_id: object) -> Fault | None:
        """An injected fault, else the next fault of this chat's burst, else maybe a new burst."""
        fault = super().take(method, chat_id)
        if fault is not None or not self.raging or method == "getUpdates" or str(chat_id) not in self.chats:
            return fault
        burst = self._bursts.get(str(chat_id)) or self._new_burst(method)
        if not burst:
            return None
        fault = burst.pop(0)
        self._bursts[str(chat_id)] = burst
        self.served[fault.kind] += 1
        return fault

    def _new_burst(self, method: str) -> list[Fault]:
        flood, errors, drops = self.chances
        roll = self.random.random()
        if roll < flood:
            retry_after = self.random.randint(1, 30)
            return [Fault(method, "429", 1, retry_after) for _ in range(self.random.randint(3, 8))]
        if roll < flood + errors:
            return [Fault(method, self.random.choice(("500", "502")), 1) for _ in range(self.random.randint(2, 4))]
        if roll < flood + errors + drops:
            return [Fault(method, "drop", 1)]
        return []


def start_storm(bot: Harness, people: list[SimUser], seed: int, **chances: float) -> Storm:
    """Let a storm rage on these people's chats (keeping faults already injected)."""
    storm = Storm(seed, {person.id for person in people}, **chances)
    storm.faults = bot.server.faults.faults
    storm.raging = False  # ride_out lets it rage; people's own actions happen in calm
    bot.server.faults = storm
    return storm


async def open_rows(bot: Harness) -> int:
    """Outbox rows not yet settled (pending, being sent)."""
    async with bot.session() as session:
        return int(await session.scalar(select(func.count()).where(OutboxMessage.status.in_(OPEN))) or 0)


async def ride_out(bot: Harness, storm: Storm, *, storm_rounds: int = 12, max_rounds: int = 80) -> int:
    """Dispatch and jump the clock to the next retry, `storm_rounds` times in the storm and then calm, until
    the outbox is empty; returns the passes it took. Fails if rows are still open after `max_rounds`."""
    for passes in range(1, max_rounds + 1):
        storm.raging = passes <= storm_rounds
        await bot.dispatch()
        if not storm.raging and await open_rows(bot) == 0:
            return passes
        async with bot.session() as session:
            due = await outbox.next_due(session)
        if due is not None and due > bot.clock.now():
            bot.clock.current = due
        else:
            bot.clock.advance(seconds=1)
    raise AssertionError(f"the outbox still has {await open_rows(bot)} open rows after {max_rounds} passes")


async def statuses(bot: Harness) -> Counter[str]:
    """How many outbox rows end in each status."""
    async with bot.session() as session:
        return Counter(await session.scalars(select(OutboxMessage.status)))


def starting(user: SimUser, prefix: str) -> list[ChatMessage]:
    """The bot's messages in this person's chat whose text starts with `prefix`."""
    return [m for m in user.messages() if m.text.startswith(prefix)]


async def crowd(bot: Harness, practices: dict[str, int], role: Role, *, reach: str = "wijk") -> list[SimUser]:
    """Many members at once, joined through the invite service (quicker than pressing through /start), each
    with a private chat the bot may write to."""
    users: list[SimUser] = []
    async with bot.session() as session:
        region = await resolve_region(session, None)
        for code, count in practices.items():
            practice = await find_practice(session, region.id, code)
            invite = await create_invite(
                session, now=bot.clock.now(), region=region, practice=practice, role=role, uses=count, expires_days=1
            )
            for number in range(count):
                user = bot.server.user(first_name=f"{code.capitalize()}{number}", language_code="nl", started=True)
                result = await join_with_invite(
                    session,
                    now=bot.clock.now(),
                    code=invite.code,
                    telegram_user_id=user.id,
                    display_name=user.first_name,
                    language="nl",
                )
                assert result.member is not None
                result.member.reach = reach
                users.append(user)
    return users


@contextmanager
def no_kicks(bot: Harness) -> Iterator[None]:
    """People act while nothing is sent: what they cause waits in the outbox for the storm."""
    dispatcher = bot.app.bot_data.pop(DISPATCHER_KEY)
    try:
        yield
    finally:
        bot.app.bot_data[DISPATCHER_KEY] = dispatcher
