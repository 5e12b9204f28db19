"""Simulated people: practice managers post, helpers offer, everyone answers meeting invitations.

Each action is one Telegram update. A person waits for the bot's answer (the button press answered, or the next
prompt of a conversation); while the bot is down the update waits at Telegram, as it would in real life. An
update that the killed process had fetched and confirmed but not finished is gone for good (python-telegram-bot
confirms an update when it fetches the next batch): the person sees no answer and does it again, as people do.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from tests.soak.process import BotProcess, Workers
from tgserver.client import SimUser
from tgserver.server import TelegramServer
from tgserver.state import ChatMessage

STEP_TIMEOUT = 45.0  # seconds without an answer or a loss: the bot is stuck, which the check reports
FLOW_TRIES = 20
PRESS_TRIES = 8
OFFER_OK = ("Thank you! Your offer is sent", "You have already offered")


@dataclass
class Intent:
    """One request a manager means to post; the note carries a token that identifies it in the database."""

    manager: str
    token: str
    urgency: str
    send_pressed: bool = False
    send_answered: bool = False
    send_answer: str | None = None
    tries: int = 0


@dataclass
class Press:
    """A button press that got an answer."""

    user_id: int
    data: str
    text: str | None
    alert: bool


@dataclass
class Record:
    """What the people did and saw, for the check."""

    intents: list[Intent] = field(default_factory=list)
    offers: list[Press] = field(default_factory=list)  # v1:oa / v1:oc presses on request copies
    offer_attempts: set[tuple[int, int]] = field(default_factory=set)  # (user id, request id), answered or not
    decisions: list[Press] = field(default_factory=list)  # v1:ac / v1:ad presses on offers
    rsvps: list[Press] = field(default_factory=list)
    cancels: list[Press] = field(default_factory=list)
    widens: int = 0
    actions: int = 0
    retries: int = 0
    lost_updates: int = 0
    stuck: list[str] = field(default_factory=list)


@dataclass
class Shared:
    """What every person can reach."""

    server: TelegramServer
    bot: BotProcess | Workers
    record: Record
    over: asyncio.Event
    think: float
    clock: Clock


def buttons(message: ChatMessage, prefix: str) -> list[str]:
    """callback_data of the message's buttons that start with prefix."""
    return [
        b.callback_data
        for row in message.buttons
        for b in row
        if b.callback_data and b.callback_data.startswith(prefix)
    ]


class Person:
    """One simulated member."""

    def __init__(self, shared: Shared, user: SimUser, name: str, rng: random.Random) -> None:
        self.shared = shared
        self.user = user
        self.name = name
        self.rng = rng
        self.done_messages: set[tuple[int, str]] = set()  # (message id, what was done with it)
        self.answered_requests: set[int] = set()
        self.rsvp_count: dict[int, int] = {}

    # --- one update and its answer ------------------------------------------------------------------------

    async def _settle(self, update_id: int, done: Callable[[], bool], what: str) -> str:
        """'done', 'lost' (a killed process took it with it) or 'stuck'."""
        shared = self.shared
        await shared.server.world.wait_until(lambda: done() or shared.bot.lost(update_id), STEP_TIMEOUT)
        if done():
            return "done"
        if shared.bot.lost(update_id):
            shared.record.lost_updates += 1
            return "lost"
        shared.record.stuck.append(f"{self.name}: update {update_id} ({what}) got no answer in {STEP_TIMEOUT:.0f} s")
        return "stuck"

    async def press(self, message: ChatMessage, data: str) -> tuple[str, Press | None]:
        """Press a button and wait for the answer to the callback query."""
        world = self.shared.server.world
        self.shared.record.actions += 1
        update_id = await self.user.press_data(message, data, wait=False)
        query_id = next(q for q in reversed(world.queries.values()) if q.user_id == self.user.id).query_id
        status = await self._settle(update_id, lambda: world.queries[query_id].answered, data)
        if status != "done":
            return status, None
        answer = next(a for a in world.answers.get(self.user.id, []) if a.query_id == query_id)
        return status, Press(self.user.id, data, answer.text, answer.show_alert)

    async def press_until_answered(self, message: ChatMessage, data: str) -> Press | None:
        """Press again while the press is lost, as a person does when nothing happens."""
        for attempt in range(PRESS_TRIES):
            if attempt:
                self.shared.record.retries += 1
            status, press = await self.press(message, data)
            if status == "done":
                return press
            if status == "stuck":
                return None
        return None

    def newest_id(self) -> int:
        """The id of the bot's newest message in the private chat (0 if none)."""
        messages = self.user.messages()
        return messages[-1].message_id if messages else 0

    def prompt(self, prefix: str | None, after: int = 0) -> ChatMessage | None:
        """The newest bot message after `after` with a button starting with prefix (any message for None)."""
        for message in reversed(self.user.messages()):
            if message.message_id <= after:
                return None
            if prefix is None or buttons(message, prefix):
                return message
        return None

    async def send(self, text: str, expect: str | None) -> ChatMessage | None:
        """Send text and wait for the prompt it should bring; None when it was lost or never came."""
        self.shared.record.actions += 1
        after = self.newest_id()
        update_id = await self.user.send(text, wait=False)
        status = await self._settle(update_id, lambda: self.prompt(expect, after) is not None, text)
        return self.prompt(expect, after) if status == "done" else None

    async def next_prompt(self, prefix: str, after: int) -> ChatMessage | None:
        """After an answered press: its prompt, unless the process died between answer and prompt."""
        kills = len(self.shared.bot.kills)
        world = self.shared.server.world
        await world.wait_until(
            lambda: self.prompt(prefix, after) is not None or len(self.shared.bot.kills) > kills, STEP_TIMEOUT
        )
        found = self.prompt(prefix, after)
        if found is None and len(self.shared.bot.kills) == kills:
            self.shared.record.stuck.append(f"{self.name}: no prompt {prefix} after an answered press")
        return found

    # --- meetings, for everyone -------------------------------------------------------------------------------

    def invitations(self) -> list[ChatMessage]:
        return [m for m in self.user.messages() if buttons(m, "v1:mr:")]

    async def rsvp(self) -> bool:
        """Answer (or change the answer to) a meeting invitation."""
        candidates = [m for m in self.invitations() if self.rsvp_count.get(m.message_id, 0) < 2]
        if not candidates:
            return False
        message = self.rng.choice(candidates)
        data = self.rng.choice(buttons(message, "v1:mr:"))
        press = await self.press_until_answered(message, data)
        self.rsvp_count[message.message_id] = self.rsvp_count.get(message.message_id, 0) + 1
        if press is not None:
            self.shared.record.rsvps.append(press)
        return True

    async def act(self) -> bool:
        """One action, if there is something to do."""
        return await self.rsvp()

    async def live(self) -> None:
        """Act until the soak's action phase is over, finishing what was started."""
        while not self.shared.over.is_set():
            await asyncio.sleep(self.rng.uniform(0.3, 1.5) * self.shared.think)
            if not await self.act():
                await asyncio.sleep(0.2)


class Helper(Person):
    """A doktersassistent: offers on request copies or says no, answers invitations."""

    async def act(self) -> bool:
        copies = [
            m
            for m in self.user.messages()
            if buttons(m, "v1:oa:") and int(buttons(m, "v1:oa:")[0].split(":")[2]) not in self.answered_requests
        ]
        if copies and self.rng.random() < 0.8:
            message = self.rng.choice(copies)
            request_id = int(buttons(message, "v1:oa:")[0].split(":")[2])
            data = buttons(message, "v1:oa:")[0] if self.rng.random() < 0.75 else f"v1:oc:{request_id}"
            if data.startswith("v1:oa:"):  # a press lost without an answer may still have been committed
                self.shared.record.offer_attempts.add((self.user.id, request_id))
            press = await self.press_until_answered(message, data)
            self.answered_requests.add(request_id)
            if press is not None:
                self.shared.record.offers.append(press)
            return True
        return await self.rsvp()


class Manager(Person):
    """A practice manager: posts requests, accepts or declines offers, widens, sometimes cancels."""

    def __init__(self, shared: Shared, user: SimUser, name: str, rng: random.Random, requests: int) -> None:
        super().__init__(shared, user, name, rng)
        self.to_post = requests
        self.posted = 0

    async def act(self) -> bool:
        offers = [
            m
            for m in self.user.messages()
            if buttons(m, "v1:ac:") and (m.message_id, "offer") not in self.done_messages
        ]
        roll = self.rng.random()
        if offers and roll < 0.6:
            message = self.rng.choice(offers)
            accept = buttons(message, "v1:ac:")[0]
            data = accept if self.rng.random() < 0.75 else accept.replace("v1:ac:", "v1:ad:")
            press = await self.press_until_answered(message, data)
            self.done_messages.add((message.message_id, "offer"))
            if press is not None:
                self.shared.record.decisions.append(press)
            return True
        if self.posted < self.to_post and roll < 0.85:
            self.posted += 1
            await self.post(
                Intent(self.name, f"soak {self.name} r{self.posted}", self.rng.choice(["spoed", "normaal"]))
            )
            return True
        widen = [
            m
            for m in self.user.messages()
            if buttons(m, "v1:wn:") and (m.message_id, "widen") not in self.done_messages
        ]
        if widen and roll < 0.93:
            message = self.rng.choice(widen)
            self.done_messages.add((message.message_id, "widen"))
            if await self.press_until_answered(message, buttons(message, "v1:wn:")[0]) is not None:
                self.shared.record.widens += 1
            return True
        if self.posted and 0.93 <= roll < 0.96:  # now and then, not whenever there is nothing else to do
            return await self.cancel_one()
        return await self.rsvp()

    async def post(self, intent: Intent) -> None:
        """/request through every step; a step lost to a kill is done again, and the form starts again only when
        it answers that it is elsewhere.

        Send answered without a text means the request was committed (the handler commits, then answers);
        'This button belongs to another step' means the form is elsewhere (a step was lost), so it starts again.
        """
        self.shared.record.intents.append(intent)
        while intent.tries < FLOW_TRIES and not intent.send_answered:
            intent.tries += 1
            if intent.tries > 1:
                self.shared.record.retries += 1
            preview = await self._fill_form(intent)
            if preview is None:
                continue
            intent.send_pressed = True
            press = await self.press_until_answered(preview, buttons(preview, "v1:rq:send")[0])
            if press is None:
                return
            intent.send_answer = press.text
            if press.text is None:
                intent.send_answered = True
            elif press.alert:
                return  # refused for good (say, spoed for a day that has passed): nothing was posted

    async def step(self, message: ChatMessage, data: str, expect: str) -> ChatMessage | None:
        """One press of the form and the prompt it brings. A press lost with a killed process, or one answered
        by a process killed before its prompt went out, is pressed again (PTB had not saved a new state).
        None when the form answers that it is elsewhere ('This button belongs to another step')."""
        for attempt in range(PRESS_TRIES):
            if attempt:
                self.shared.record.retries += 1
            after = self.newest_id()
            status, press = await self.press(message, data)
            if status == "stuck":
                return None
            if status == "lost":
                continue
            if press is None or press.text:
                return None
            found = await self.next_prompt(expect, after)
            if found is not None:
                return found
        return None

    async def say(self, text: str, expect: str) -> ChatMessage | None:
        """Type text in the form until its prompt comes (a lost message is typed again). Another answer (the
        form was at another step: 'please use the buttons') means starting the form again."""
        world = self.shared.server.world
        for attempt in range(PRESS_TRIES):
            if attempt:
                self.shared.record.retries += 1
            self.shared.record.actions += 1
            after = self.newest_id()
            update_id = await self.user.send(text, wait=False)
            status = await self._settle(update_id, self._answered_text(update_id, after), text)
            if status == "stuck":
                return None
            if status == "lost":
                continue
            # Something came; outbox messages arrive here too, so give the prompt a moment to follow.
            await world.wait_until(self._prompted(expect, after), 3.0)
            return self.prompt(expect, after)
        return None

    def _answered_text(self, update_id: int, after: int) -> Callable[[], bool]:
        """The bot has fetched the update and written something since."""
        world = self.shared.server.world

        def answered() -> bool:
            fetched = world.delivered_up_to >= update_id and all(u["update_id"] != update_id for u in world.updates)
            return fetched and self.prompt(None, after) is not None

        return answered

    def _prompted(self, expect: str, after: int) -> Callable[[], bool]:
        return lambda: self.prompt(expect, after) is not None

    async def _fill_form(self, intent: Intent) -> ChatMessage | None:
        """The steps before the preview; None when the form has to start again."""
        roles = await self.say("/request", "v1:rq:role:")
        if roles is None:
            return None
        days = await self.step(roles, "v1:rq:role:doktersassistent", "v1:rq:day:")
        if days is None:
            return None
        choices = buttons(days, "v1:rq:day:")
        tomorrow = (
            self.shared.clock.now().astimezone(ZoneInfo("Europe/Amsterdam")).date() + timedelta(days=1)
        ).strftime("%Y%m%d")
        wanted = [d for d in choices if d.endswith(tomorrow)] if intent.urgency == "spoed" else choices[1:4]
        if not wanted:
            wanted, intent.urgency = choices[1:3] or choices, "normaal"
        picked = self.rng.sample(
            wanted, k=min(len(wanted), 1 if intent.urgency == "spoed" else self.rng.choice([1, 2]))
        )
        for day in picked:  # a toggle: pressed again only when it was lost, never when answered
            press = await self.press_until_answered(days, day)
            if press is None or press.alert:
                return None
        prompt = await self.step(days, "v1:rq:days_done", "v1:rq:dp:")
        for index in range(len(picked)):
            if prompt is None:
                return None
            expect = "v1:rq:dp:" if index + 1 < len(picked) else "v1:rq:urg:"
            prompt = await self.step(prompt, self.rng.choice(buttons(prompt, "v1:rq:dp:")), expect)
        if prompt is None:
            return None
        note = await self.step(prompt, f"v1:rq:urg:{intent.urgency}", "v1:rq:nonote")
        if note is None:
            return None
        return await self.say(intent.token, "v1:rq:send")

    async def cancel_one(self) -> bool:
        """/myrequests, Cancel on one request, a reason."""
        listing_after = self.newest_id()
        await self.send("/myrequests", None)
        lists = [m for m in self.user.messages() if m.message_id > listing_after and buttons(m, "v1:cr:")]
        if not lists:
            return True  # nothing open to cancel (or the list was cut off by a kill)
        message = self.rng.choice(lists)
        data = buttons(message, "v1:cr:")[0]
        press = await self.press_until_answered(message, data)
        if press is None or press.alert:
            return True
        request_id = data.split(":")[2]
        reasons = [m for m in self.user.messages() if buttons(m, f"v1:cr:{request_id}:")]
        if not reasons:
            return True
        reason = self.rng.choice(buttons(reasons[-1], f"v1:cr:{request_id}:"))
        press = await self.press_until_answered(reasons[-1], reason)
        if press is not None:
            self.shared.record.cancels.append(press)
        return True
