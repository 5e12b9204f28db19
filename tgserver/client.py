"""Simulated Telegram users and groups: the test-facing side of the conversation."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, overload

from tgserver.html import utf16_len
from tgserver.state import Button, CallbackAnswer, ChatMessage, ChatRecord, PendingQuery, UserRecord

if TYPE_CHECKING:
    from tgserver.server import TelegramServer

JSON = dict[str, Any]
_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@([A-Za-z0-9_]+))?")


class SimUser:
    """A Telegram user; every action returns after the bot handled the resulting update."""

    def __init__(self, server: TelegramServer, record: UserRecord) -> None:
        self.server = server
        self.record = record
        self._query_counter = 0

    @property
    def id(self) -> int:
        """The user id, which is also the id of the private chat with the bot."""
        return self.record.id

    @property
    def chat(self) -> ChatRecord:
        """The private chat with the bot."""
        return self.server.world.chats[self.id]

    @property
    def first_name(self) -> str:
        """The user's first name."""
        return self.record.first_name

    @property
    def last_name(self) -> str | None:
        """The user's last name, if any."""
        return self.record.last_name

    @property
    def username(self) -> str | None:
        """The user's @username (without @), if any."""
        return self.record.username

    @property
    def language_code(self) -> str | None:
        """The language of the user's Telegram app."""
        return self.record.language_code

    def __repr__(self) -> str:
        return f"<SimUser {self.record.first_name} {self.id}>"

    # --- actions ------------------------------------------------------------------------------------

    @overload
    async def send(
        self, text: str, chat: None = None, *, reply_to: ChatMessage | None = None, wait: bool = True
    ) -> int: ...

    @overload
    async def send(
        self, text: str, chat: SimGroup, *, reply_to: ChatMessage | None = None, wait: bool = True
    ) -> int | None: ...

    async def send(
        self, text: str, chat: SimGroup | None = None, *, reply_to: ChatMessage | None = None, wait: bool = True
    ) -> int | None:
        """Send a text message (private chat unless chat=); None if privacy mode hides it from the bot."""
        if not text.strip() or utf16_len(text) > 4096:
            raise AssertionError(
                f"Telegram apps cannot send an empty message or one over 4096 characters: {text!r:.60}"
            )
        target = self._chat_for(chat)
        world = self.server.world
        entities = []
        command = _COMMAND_RE.match(text)
        if command is not None:
            entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(command.group(0))})
        message = world.add_message(
            target, self.id, text=text, html=text, entities=entities, reply_to=reply_to.message_id if reply_to else None
        )
        if target.is_group and not self._bot_sees(target, text, command, reply_to):
            self.server.user_acted()
            return None
        return await self.deliver("message", world.message_json(message), wait)

    async def share_contact(self, phone_number: str, *, wait: bool = True) -> int:
        """Share the user's own phone number in the private chat (request_contact keyboard button)."""
        contact: JSON = {"phone_number": phone_number, "first_name": self.record.first_name, "user_id": self.id}
        if self.record.last_name:
            contact["last_name"] = self.record.last_name
        message = self.server.world.add_message(self._chat_for(None), self.id, extra={"contact": contact})
        return await self.deliver("message", self.server.world.message_json(message), wait)

    async def press(self, message: ChatMessage, button: str | re.Pattern[str], *, wait: bool = True) -> int:
        """Press the inline button with this exact text (or matching this regex) in a visible message."""
        self._check_visible(message)
        buttons = [b for row in message.buttons for b in row]
        matches = [b for b in buttons if _matches(b, button)]
        if len(matches) != 1:
            found = "No button" if not matches else f"{len(matches)} buttons"
            raise AssertionError(
                f"{found} matching {button!r} in message #{message.message_id} {message.text!r}; "
                f"buttons: {[b.text for b in buttons]}"
            )
        if matches[0].callback_data is None:
            raise AssertionError(f"button {matches[0].text!r} is not a callback button: {matches[0]}")
        return await self.press_data(message, matches[0].callback_data, wait=wait)

    async def press_data(self, message: ChatMessage, data: str, *, wait: bool = True) -> int:
        """A callback query with arbitrary data on a visible bot message (forged input)."""
        self._check_visible(message)
        world = self.server.world
        self._query_counter += 1
        query_id = str(4_000_000_000_000_000 + self.id * 1000 + self._query_counter)
        world.queries[query_id] = PendingQuery(query_id, self.id, message.chat_id, message.message_id, data)
        payload = {
            "id": query_id,
            "from": self.record.to_json(),
            "chat_instance": str(8_000_000_000_000 + abs(message.chat_id)),
            "message": world.message_json(message),
            "data": data,
        }
        return await self.deliver("callback_query", payload, wait)

    async def block(self, *, wait: bool = True) -> int:
        """Block the bot: it gets my_chat_member (kicked) and 403 on every later message."""
        self.record.blocked = True
        return await self._membership("member", "kicked", wait)

    async def unblock(self, *, wait: bool = True) -> int:
        """Unblock the bot again."""
        self.record.blocked = False
        return await self._membership("kicked", "member", wait)

    async def _membership(self, old: str, new: str, wait: bool) -> int:
        change = self.server.world.member_change(self.chat, self.record, old, new)
        return await self.deliver("my_chat_member", change, wait)

    async def deliver(self, kind: str, payload: JSON, wait: bool = True) -> int:
        """Queue an update this user caused, let simulated time pass, and wait until the bot handled it."""
        update_id = self.server.world.push_update(kind, payload)
        self.server.user_acted()
        if wait:
            await self.server.settle(update_id)
        return update_id

    # --- what the user sees -------------------------------------------------------------------------

    def messages(self, include_deleted: bool = True) -> list[ChatMessage]:
        """The bot's messages in the private chat, oldest first."""
        return [m for m in self.chat.messages if m.from_bot and (include_deleted or not m.deleted)]

    def last(self) -> ChatMessage:
        """The bot's latest message in the private chat."""
        messages = self.messages()
        if not messages:
            raise AssertionError(f"{self.record.first_name} got no messages from the bot")
        return messages[-1]

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        """The bot's answers to this user's button presses, in order."""
        return list(self.server.world.answers.get(self.id, []))

    @property
    def keyboard(self) -> list[list[str]]:
        """Texts of the custom reply keyboard currently shown in the private chat."""
        rows = (self.chat.reply_keyboard or {}).get("keyboard", [])
        return [[b if isinstance(b, str) else b["text"] for b in row] for row in rows]

    @property
    def chat_actions(self) -> list[str]:
        """sendChatAction actions the bot sent to the private chat."""
        return list(self.chat.chat_actions)

    # --- helpers --------------------------------------------------------------------------------------

    def _chat_for(self, group: SimGroup | None) -> ChatRecord:
        """The chat an action happens in; the user must be able to write there."""
        if group is None:
            if self.record.blocked:
                raise AssertionError(f"{self.record.first_name} blocked the bot; call unblock() first")
            self.record.started = True  # writing to a bot implies having pressed Start
            return self.chat
        if self.id not in group.chat.member_ids:
            raise AssertionError(f"{self.record.first_name} is not a member of {group.chat.title!r}")
        return group.chat

    def _check_visible(self, message: ChatMessage) -> None:
        """Only bot messages the user can currently see can be pressed."""
        chat = self.server.world.chats[message.chat_id]
        if message.chat_id != self.id and self.id not in chat.member_ids:
            raise AssertionError(f"{self.record.first_name} cannot see message #{message.message_id} of {chat.id}")
        if message.deleted:
            raise AssertionError(f"message #{message.message_id} was deleted: {message}")
        if not message.from_bot:
            raise AssertionError(f"message #{message.message_id} is not from the bot: {message}")

    def _bot_sees(
        self, group: ChatRecord, text: str, command: re.Match[str] | None, reply_to: ChatMessage | None
    ) -> bool:
        """Privacy mode: in groups the bot gets commands to it, replies to it and mentions of it."""
        username = self.server.world.bot.username or ""
        if group.bot_status in ("left", "kicked"):
            return False
        if not self.server.privacy_mode:
            return True
        if command is not None:
            return command.group(1) is None or command.group(1).lower() == username.lower()
        return (reply_to is not None and reply_to.from_bot) or f"@{username}".lower() in text.lower()


class SimGroup:
    """A group or supergroup with simulated members."""

    def __init__(self, server: TelegramServer, chat: ChatRecord) -> None:
        self.server = server
        self.chat = chat

    @property
    def id(self) -> int:
        """The (negative) chat id."""
        return self.chat.id

    def __repr__(self) -> str:
        return f"<SimGroup {self.chat.title} {self.id}>"

    def messages(self, include_deleted: bool = True) -> list[ChatMessage]:
        """The bot's messages in the group, oldest first."""
        return [m for m in self.chat.messages if m.from_bot and (include_deleted or not m.deleted)]

    def last(self) -> ChatMessage:
        """The bot's latest message in the group."""
        messages = self.messages()
        if not messages:
            raise AssertionError(f"the bot posted nothing in {self.chat.title!r}")
        return messages[-1]

    async def add_bot(self, by: SimUser, *, wait: bool = True) -> int:
        """A member adds the bot: my_chat_member plus the new_chat_members service message."""
        world = self.server.world
        old, self.chat.bot_status = self.chat.bot_status, "member"
        world.push_update("my_chat_member", world.member_change(self.chat, by.record, old, "member"))
        joined = world.add_message(self.chat, by.id, extra={"new_chat_members": [world.bot.to_json()]})
        return await by.deliver("message", world.message_json(joined), wait)

    async def remove_bot(self, by: SimUser, *, wait: bool = True) -> int:
        """A member removes the bot; it only gets my_chat_member (kicked)."""
        world = self.server.world
        old, self.chat.bot_status = self.chat.bot_status, "kicked"
        change = world.member_change(self.chat, by.record, old, "kicked")
        return await by.deliver("my_chat_member", change, wait)

    async def join(self, user: SimUser, *, wait: bool = True) -> int:
        """A user joins; bots get new_chat_members even in privacy mode."""
        self.chat.member_ids.append(user.id)
        world = self.server.world
        joined = world.add_message(self.chat, user.id, extra={"new_chat_members": [user.record.to_json()]})
        return await user.deliver("message", world.message_json(joined), wait)


def _matches(button: Button, wanted: str | re.Pattern[str]) -> bool:
    """Exact text, or a regex search."""
    return button.text == wanted if isinstance(wanted, str) else wanted.search(button.text) is not None
