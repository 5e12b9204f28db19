"""Updates side by side, each chat's and each person's in arrival order (bot/update_order.py)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from telegram import Chat, Message, Update, User

from bot.update_order import ChatOrder, ChatOrderProcessor, InboxRequest, OrderedQueue, order_keys

ANNA, BOB = 101, 102
GROUP = -1001


def update(update_id: int, user: int, chat: int | None = None) -> Update:
    """A text message from `user` in `chat` (their private chat unless a group is given)."""
    chat_id = chat if chat is not None else user
    kind = Chat.PRIVATE if chat_id > 0 else Chat.SUPERGROUP
    message = Message(
        message_id=update_id,
        date=None,  # type: ignore[arg-type]
        chat=Chat(chat_id, kind),
        from_user=User(user, "Naam", is_bot=False),
        text="hallo",
    )
    return Update(update_id, message=message)


async def settle() -> None:
    """Let every task that can run, run (no clock involved: only the event loop's own turns)."""
    for _ in range(20):
        await asyncio.sleep(0)


class Recorder:
    """Handles updates through a ChatOrderProcessor; each waits for its own gate, and says when it starts."""

    def __init__(self, running: int = 8) -> None:
        self.order = ChatOrder()
        self.queue = OrderedQueue(self.order)
        self.processor = ChatOrderProcessor(self.order, running)
        self.started: list[int] = []
        self.finished: list[int] = []
        self.gates: dict[int, asyncio.Event] = {}
        self.tasks: list[asyncio.Task[None]] = []

    async def handle(self, item: Update) -> None:
        self.started.append(item.update_id)
        await self.gates.setdefault(item.update_id, asyncio.Event()).wait()
        self.finished.append(item.update_id)

    async def arrive(self, *items: Update) -> None:
        """As the Updater and PTB's fetcher do: put each in the queue, take it out, start a task for it."""
        for item in items:
            await self.queue.put(item)
        for _ in items:
            taken = self.queue.get_nowait()
            assert isinstance(taken, Update)
            self.tasks.append(asyncio.create_task(self.processor.process_update(taken, self.handle(taken))))
        await settle()

    async def release(self, update_id: int) -> None:
        self.gates.setdefault(update_id, asyncio.Event()).set()
        await settle()


async def test_two_updates_of_one_chat_never_overlap_and_keep_their_order() -> None:
    recorder = Recorder()
    await recorder.arrive(update(1, ANNA), update(2, ANNA), update(3, ANNA))
    assert recorder.started == [1], "the second of Anna's updates started before her first was done"
    await recorder.release(2)  # done early, but it has not had its turn yet
    assert recorder.started == [1]
    await recorder.release(1)
    assert recorder.started == [1, 2, 3]
    assert recorder.finished == [1, 2]
    await recorder.release(3)
    assert recorder.finished == [1, 2, 3]
    assert recorder.order.lines == 0, "a line outlived its updates"


async def test_different_people_are_handled_side_by_side() -> None:
    recorder = Recorder()
    await recorder.arrive(update(1, ANNA), update(2, BOB))
    assert recorder.started == [1, 2], "Bob waited for Anna"
    await recorder.release(2)
    assert recorder.finished == [2]
    await recorder.release(1)
    assert recorder.order.lines == 0


async def test_a_person_in_a_group_and_in_private_stays_in_order_and_so_does_the_group() -> None:
    recorder = Recorder()
    # Anna in the group, then Bob in the group, then Anna in private: Bob waits for the group, Anna's private
    # message for her group message; nobody waits for anything else.
    await recorder.arrive(update(1, ANNA, GROUP), update(2, BOB, GROUP), update(3, ANNA), update(4, BOB))
    assert recorder.started == [1]
    await recorder.release(1)
    assert sorted(recorder.started) == [1, 2, 3]
    assert 4 not in recorder.started, "Bob's private message overtook his group message"
    await recorder.release(2)
    assert 4 in recorder.started
    for update_id in (3, 4):
        await recorder.release(update_id)
    assert recorder.order.lines == 0


async def test_at_most_running_at_once_and_waiting_for_a_turn_takes_no_slot() -> None:
    recorder = Recorder(running=2)
    # Anna's three updates queue behind each other; Bob and Carla fill the slots meanwhile.
    await recorder.arrive(update(1, ANNA), update(2, ANNA), update(3, ANNA), update(4, BOB), update(5, 103))
    assert recorder.started == [1, 4], "more than two at once, or a waiting update took a slot"
    await recorder.release(4)
    assert recorder.started == [1, 4, 5]
    for update_id in (1, 2, 3, 5):
        await recorder.release(update_id)
    assert sorted(recorder.finished) == [1, 2, 3, 4, 5]
    assert recorder.finished.index(1) < recorder.finished.index(2) < recorder.finished.index(3)


async def test_a_cancelled_update_lets_the_next_one_go() -> None:
    recorder = Recorder()
    await recorder.arrive(update(1, ANNA), update(2, ANNA))
    recorder.tasks[0].cancel()
    await settle()
    assert recorder.started == [1, 2]
    await recorder.release(2)
    assert recorder.order.lines == 0


def test_what_an_update_queues_behind() -> None:
    assert order_keys(update(1, ANNA)) == (ANNA,)
    assert order_keys(update(1, ANNA, GROUP)) == (GROUP, ANNA)
    assert order_keys("not an update") == ()


async def test_each_batch_is_kept_before_the_updater_sees_it(monkeypatch: Any) -> None:
    """The next getUpdates confirms this batch to Telegram: it must be in the inbox before anyone handles it."""
    kept: list[list[int]] = []
    batch = {"ok": True, "result": [{"update_id": 7, "message": {}}, {"update_id": 8, "message": {}}]}

    async def answered(self: InboxRequest, url: str, method: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        body = batch if url.endswith("/getUpdates") else {"ok": True, "result": True}
        return 200, json.dumps(body).encode()

    async def keep(updates: list[dict[str, Any]]) -> None:
        kept.append([u["update_id"] for u in updates])

    monkeypatch.setattr("telegram.request.HTTPXRequest.do_request", answered)
    request = InboxRequest(keep, OrderedQueue(ChatOrder()), connection_pool_size=1)
    code, payload = await request.do_request("https://api/bot1:x/getUpdates", "POST")
    assert (code, json.loads(payload)) == (200, batch)
    assert kept == [[7, 8]]
    await request.do_request("https://api/bot1:x/sendMessage", "POST")
    assert kept == [[7, 8]], "only getUpdates answers are kept"

    async def database_down(updates: list[dict[str, Any]]) -> None:
        raise OSError("database is locked")

    # The database cannot take the batch: it is handed over all the same (people get the handlers' answer to
    # the outage), and the next getUpdates, which would confirm it, waits until it has been handled.
    queue = OrderedQueue(ChatOrder())
    failing = InboxRequest(database_down, queue, connection_pool_size=1)
    code, payload = await failing.do_request("https://api/bot1:x/getUpdates", "POST")
    assert (code, json.loads(payload)) == (200, batch)
    await queue.put(update(7, ANNA))
    next_poll = asyncio.create_task(failing.do_request("https://api/bot1:x/getUpdates", "POST"))
    await settle()
    assert not next_poll.done(), "the unkept batch was confirmed before it was handled"
    queue.get_nowait()
    queue.task_done()
    await next_poll


async def test_an_update_already_here_is_not_queued_twice() -> None:
    recorder = Recorder()
    first = update(1, ANNA)
    await recorder.arrive(first)
    await recorder.queue.put(update(1, ANNA))  # Telegram sends it again after a restart, while it still runs
    assert recorder.queue.empty()
    await recorder.release(1)
    await recorder.queue.put(update(1, ANNA))  # done here: now it is the redelivery check's business
    assert recorder.queue.qsize() == 1
