"""Bot API methods about the bot itself, updates, commands and chats."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from tgserver.errors import ApiError, bad_request
from tgserver.state import World

JSON = dict[str, Any]
Handler = Callable[[JSON], Awaitable[object]]
COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
LANGUAGE_RE = re.compile(r"(?:[a-z]{2})?")
# Without allowed_updates Telegram sends everything but these.
NOT_SENT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


def scope_key(scope: JSON | None) -> str:
    """A canonical key for a BotCommandScope (default scope when omitted)."""
    return json.dumps(scope or {"type": "default"}, sort_keys=True)


class BotInfo:
    """getMe, getUpdates, webhooks, commands, getChat, leaveChat, getFile, close, logOut."""

    def __init__(self, world: World, privacy_mode: Callable[[], bool]) -> None:
        self.world = world
        self.privacy_mode = privacy_mode
        self._poll_generation = 0

    def handlers(self) -> dict[str, Handler]:
        """Method name -> implementation."""
        return {
            "getMe": self.get_me,
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "getChat": self.get_chat,
            "leaveChat": self.leave_chat,
            "getFile": self.get_file,
            "close": self.no_op,
            "logOut": self.no_op,
        }

    async def no_op(self, params: JSON) -> bool:
        """close and logOut: nothing to do in a simulation."""
        return True

    async def get_me(self, params: JSON) -> JSON:
        """getMe."""
        return {
            **self.world.bot.to_json(),
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode(),
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def get_updates(self, params: JSON) -> list[JSON]:
        """getUpdates with offset confirmation and long polling; a newer call ends an older one (409)."""
        world = self.world
        if world.webhook_url:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                           "use deleteWebhook to delete the webhook first")  # fmt: skip
        self._poll_generation += 1
        generation = self._poll_generation
        world.changed()  # wakes an older long poll so that it can notice it was superseded
        if params.get("allowed_updates") is not None:
            world.allowed_updates = list(params["allowed_updates"])
        self._confirm(int(params.get("offset", 0)))
        limit = min(100, max(1, int(params.get("limit", 100))))
        timeout = max(0, int(params.get("timeout", 0)))

        def ready() -> bool:
            return bool(self._deliverable()) or world.closing or generation != self._poll_generation

        await world.wait_until(ready, timeout)
        if generation != self._poll_generation:
            raise ApiError(409, "Conflict: terminated by other getUpdates request; "
                           "make sure that only one bot instance is running")  # fmt: skip
        batch = self._deliverable()[:limit]
        world.redelivered.difference_update(u["update_id"] for u in batch)
        if batch:
            world.delivered_up_to = max(world.delivered_up_to, batch[-1]["update_id"])
            world.changed()
        return batch

    def _confirm(self, offset: int) -> None:
        """Forget updates below a positive offset, or all but the last -offset ones."""
        updates = self.world.updates
        if offset > 0:
            updates[:] = [u for u in updates if u["update_id"] >= offset or u["update_id"] in self.world.redelivered]
        elif offset < 0:
            updates[:] = updates[offset:]

    def _deliverable(self) -> list[JSON]:
        """Pending updates of the kinds the bot asked for (others are dropped, as Telegram does)."""
        allowed = set(self.world.allowed_updates)
        kept = []
        for update in self.world.updates:
            kind = next(k for k in update if k != "update_id")
            if (kind in allowed) if allowed else (kind not in NOT_SENT_BY_DEFAULT):
                kept.append(update)
            else:
                self.world.dropped[update["update_id"]] = kind
        self.world.updates[:] = kept
        return kept

    async def set_webhook(self, params: JSON) -> bool:
        """setWebhook: stored, with its secret and allowed updates; a WebhookPusher (tgserver/webhook.py) delivers."""
        if not str(params["url"]).startswith("https://") and params["url"] != "":
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        self.world.webhook_url = params["url"]
        self.world.webhook_secret = str(params.get("secret_token") or "")
        if params.get("allowed_updates") is not None:
            self.world.allowed_updates = list(params["allowed_updates"])
        self.world.changed()
        return True

    async def delete_webhook(self, params: JSON) -> bool:
        """deleteWebhook, optionally dropping pending updates."""
        self.world.webhook_url = ""
        if params.get("drop_pending_updates"):
            self.world.updates.clear()
        return True

    async def get_webhook_info(self, params: JSON) -> JSON:
        """getWebhookInfo."""
        return {
            "url": self.world.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self.world.updates),
        }

    def _commands_key(self, params: JSON) -> tuple[str, str]:
        language = params.get("language_code") or ""
        if not LANGUAGE_RE.fullmatch(language):
            raise bad_request("invalid language code specified")
        return scope_key(params.get("scope")), language

    async def set_my_commands(self, params: JSON) -> bool:
        """setMyCommands, stored per scope and language."""
        commands = params["commands"]
        if len(commands) > 100:
            raise bad_request("too many commands specified")
        for command in commands:
            if not COMMAND_RE.fullmatch(command["command"]):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(command["description"]) <= 256:
                raise bad_request("command description must be 1-256 characters long")
        key = self._commands_key(params)
        if commands:
            self.world.commands[key] = [{"command": c["command"], "description": c["description"]} for c in commands]
        else:
            self.world.commands.pop(key, None)
        self.world.changed()
        return True

    async def get_my_commands(self, params: JSON) -> list[JSON]:
        """getMyCommands for exactly this scope and language."""
        return self.world.commands.get(self._commands_key(params), [])

    async def delete_my_commands(self, params: JSON) -> bool:
        """deleteMyCommands."""
        self.world.commands.pop(self._commands_key(params), None)
        self.world.changed()
        return True

    async def get_chat(self, params: JSON) -> JSON:
        """getChat: any chat the bot knows of and is in."""
        chat = self.world.target_chat(params["chat_id"], for_sending=False)
        if chat.is_group and chat.bot_status in ("left", "kicked"):
            raise bad_request("chat not found")
        return chat.full_info()

    async def leave_chat(self, params: JSON) -> bool:
        """leaveChat: the bot leaves a group and gets its my_chat_member update."""
        chat = self.world.target_chat(params["chat_id"])
        if not chat.is_group:
            raise bad_request("chat member status can't be changed in private chats")
        old = chat.bot_status
        chat.bot_status = "left"
        self.world.push_update("my_chat_member", self.world.member_change(chat, self.world.bot, old, "left"))
        return True

    async def get_file(self, params: JSON) -> JSON:
        """getFile for files the bot uploaded; download them from base_file_url + file_path."""
        document = self.world.files.get(params["file_id"])
        if document is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": document.file_id,
            "file_unique_id": document.file_unique_id,
            "file_size": len(document.content),
            "file_path": f"documents/{document.file_id}",
        }
