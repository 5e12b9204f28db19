"""Updates of different people at once, each chat's and each person's in the order they came, and none lost
to a crash.

PTB handles updates one after another by default, so one person's burst (or a region's RSVPs) made everyone
else wait. With `concurrent_updates` it handles them side by side, but in any order, which a conversation (and
a person pressing twice) cannot live with. Here:

- `ChatOrder` hands every update a ticket the moment it arrives (`OrderedQueue.put`, called by the Updater in
  Telegram's order): it waits for the previous update of its chat and of its sender, nothing else. The tickets
  are taken in arrival order, not in the order tasks happen to start, so the order is exact. An update already
  waiting or running here (Telegram sending it again after a restart) is not queued twice.
- `ChatOrderProcessor` (PTB's `BaseUpdateProcessor` hook) waits for the update's turn, then for one of
  `running` slots, then handles it. Waiting for a turn holds no slot, so a chat's backlog cannot starve others.
- `InboxRequest` is the request object of getUpdates. Asking for the next batch confirms the last to
  Telegram, which never sends it again; so every batch is first kept in the database (`received_update`) and
  leaves it only in the transaction that marks the update handled. A restart handles what is left there
  before anything new, and `handlers/once.py` drops what was handled already. A batch the database could not
  take is confirmed only once it has been handled.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor
from telegram.request import HTTPXRequest

log = logging.getLogger(__name__)

# PTB's own bound on updates in flight, set out of reach: PTB makes a task for every update it takes anyway, and
# an update waiting in PTB's semaphore could be the one the slot holders wait for. Ours (`running`) applies
# after the turn, so only updates that may run hold a slot.
IN_FLIGHT = 1_000_000


@dataclass
class Ticket:
    """One update's place in line: the updates it waits for, and its own 'done' for those after it."""

    keys: tuple[int, ...]
    after: list[asyncio.Event]
    done: asyncio.Event = field(default_factory=asyncio.Event)


def order_keys(update: object) -> tuple[int, ...]:
    """The lines an update queues in: its chat and its sender (one line in a private chat, where they are one)."""
    if not isinstance(update, Update):
        return ()
    keys = {entity.id for entity in (update.effective_chat, update.effective_user) if entity is not None}
    return tuple(sorted(keys))


class ChatOrder:
    """Lines per chat and per person, in arrival order. An entry lives while its line has updates in it."""

    def __init__(self) -> None:
        self._last: dict[int, Ticket] = {}  # the newest ticket of each line
        self._tickets: dict[int, Ticket] = {}  # by id() of the update object, until its turn starts
        self._present: set[int] = set()  # update ids waiting or running

    def arrive(self, update: object) -> bool:
        """Queue the update in its lines (synchronously, so in the order the updates arrive). False if an
        update with its id is already here: the caller drops it."""
        if isinstance(update, Update):
            if update.update_id in self._present:
                return False
            self._present.add(update.update_id)
        keys = order_keys(update)
        if not keys:
            return True
        ticket = Ticket(keys, [self._last[key].done for key in keys if key in self._last])
        for key in keys:
            self._last[key] = ticket
        self._tickets[id(update)] = ticket
        return True

    @asynccontextmanager
    async def turn(self, update: object) -> AsyncIterator[None]:
        """Wait until the updates before this one in its lines are done; hold the turn while handling it."""
        ticket = self._tickets.pop(id(update), None)
        if ticket is None:  # handed straight to process_update (tests), or with no chat and no sender
            try:
                yield
            finally:
                self._gone(update)
            return
        try:
            for earlier in ticket.after:
                await earlier.wait()
            yield
        finally:
            ticket.done.set()
            for key in ticket.keys:
                if self._last.get(key) is ticket:
                    del self._last[key]
            self._gone(update)

    def _gone(self, update: object) -> None:
        if isinstance(update, Update):
            self._present.discard(update.update_id)

    @property
    def lines(self) -> int:
        """How many chats and people have updates waiting or running (for tests and metrics)."""
        return len(self._last)


class OrderedQueue(asyncio.Queue[object]):
    """The update queue shared by the Updater and the Application: every update gets its ticket as it is put."""

    def __init__(self, order: ChatOrder) -> None:
        super().__init__()
        self.order = order

    def put_nowait(self, item: object) -> None:
        if self.order.arrive(item):
            super().put_nowait(item)

    async def put(self, item: object) -> None:
        self.put_nowait(item)  # unbounded: never waits, so the ticket and the item go in together


class ChatOrderProcessor(BaseUpdateProcessor):
    """Handles up to `running` updates at once, each after its turn in `order`."""

    def __init__(self, order: ChatOrder, running: int) -> None:
        super().__init__(max_concurrent_updates=IN_FLIGHT)
        self.order = order
        self._running = asyncio.Semaphore(running)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the update's turn, then for a free slot, then handle it."""
        async with self.order.turn(update), self._running:
            await coroutine

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""


class InboxRequest(HTTPXRequest):
    """The request object for getUpdates: each batch Telegram hands over is kept (`keep`) before the Updater
    sees it, so that the next getUpdates may confirm it while it is still being handled.

    When the database cannot take a batch (busy, restarting), the batch is handled anyway (people get the
    handlers' own answer to the outage) but not confirmed until it has been: the next getUpdates waits until
    the queue is empty, as if there were no inbox. Nothing is lost either way."""

    def __init__(
        self, keep: Callable[[list[dict[str, Any]]], Awaitable[None]], queue: asyncio.Queue[object], **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._keep = keep
        self._queue = queue
        self._unkept = False  # the last batch is not in the inbox: confirm it only once handled

    async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        polling = url.endswith("/getUpdates")
        if polling and self._unkept:
            await self._queue.join()
            self._unkept = False
        code, payload = await super().do_request(url, method, *args, **kwargs)
        if polling and code == HTTPStatus.OK:
            updates = json.loads(payload).get("result") or []
            try:
                await self._keep(updates)
            except Exception as exc:
                log.warning("update.inbox_unavailable count=%s error=%s", len(updates), type(exc).__name__)
                self._unkept = bool(updates)
        return code, payload
