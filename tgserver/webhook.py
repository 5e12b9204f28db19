"""Telegram's side of a webhook: updates are POSTed to the bot's URL, one at a time and in order, with the
secret token header; one is gone from the queue only when the bot answered 200, else it is sent again."""

from __future__ import annotations

import asyncio
import contextlib
import json

import aiohttp

from tgserver.state import World

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookPusher:
    """Delivers the world's pending updates to `target` (the bot's local address for the registered https URL,
    which the test server cannot reach), or to several in turn, while a webhook is set."""

    def __init__(self, world: World, target: str | list[str], retry_seconds: float = 0.1) -> None:
        self.world = world
        # Several targets: the workers behind one proxy, taking the deliveries in turn.
        self.targets = [target] if isinstance(target, str) else list(target)
        self.retry_seconds = retry_seconds
        self.answers: list[int] = []  # HTTP status of every delivery, in order
        self.secret_override: str | None = None  # tests: send this header value instead of the registered one
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="webhook-pusher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        world = self.world
        async with aiohttp.ClientSession() as session:
            while True:
                await world.wait_until(lambda: bool(world.webhook_url and world.updates), 3600)
                if not (world.webhook_url and world.updates):
                    continue
                update = world.updates[0]
                secret = self.secret_override if self.secret_override is not None else world.webhook_secret
                headers = {SECRET_HEADER: secret} if secret else {}
                target = self.targets[len(self.answers) % len(self.targets)]
                try:
                    async with session.post(
                        target, data=json.dumps(update), headers={**headers, "Content-Type": "application/json"}
                    ) as response:
                        status = response.status
                except aiohttp.ClientError:
                    status = 0
                self.answers.append(status)
                if status == 200:
                    if world.updates and world.updates[0] is update:
                        world.updates.pop(0)
                    world.delivered_up_to = max(world.delivered_up_to, int(update["update_id"]))
                    world.changed()
                else:
                    await asyncio.sleep(self.retry_seconds)
