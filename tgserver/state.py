"""The simulated Telegram world: users, chats, messages, updates and change notification."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from tgserver.errors import bad_request, forbidden

JSON = dict[str, Any]


class Command(NamedTuple):
    """A bot command as stored by setMyCommands; compares equal to a (command, description) tuple."""

    command: str
    description: str


@dataclass(frozen=True)
class Button:
    """One inline keyboard button as the user sees it."""

    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass
class Document:
    """A file the bot sent (or that was re-sent by file_id)."""

    file_id: str
    file_unique_id: str
    filename: str
    mime_type: str
    content: bytes

    def to_json(self) -> JSON:
        """Telegram's Document object."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_name": self.filename,
            "mime_type": self.mime_type,
            "file_size": len(self.content),
        }

    def photo_size_json(self) -> JSON:
        """Telegram's PhotoSize object (the test server does not decode images)."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "width": 90,
            "height": 90,
            "file_size": len(self.content),
        }


@dataclass
class ChatMessage:
    """A message; `text` is what the user sees (the caption for media), `html` what the bot sent."""

    chat_id: int
    message_id: int
    sender_id: int
    date: int
    from_bot: bool
    text: str = ""
    html: str = ""
    parse_mode: str | None = None
    entities: list[JSON] = field(default_factory=list)
    reply_markup: JSON | None = None
    document: Document | None = None
    photo: Document | None = None
    edited: int = 0  # how many times the message was edited
    edit_date: int = 0
    deleted: bool = False
    reply_to: int | None = None
    # Other Message fields (contact, new_chat_members, ...) exactly as they appear in the JSON.
    extra: JSON = field(default_factory=dict)

    @property
    def is_media(self) -> bool:
        """Media messages carry their text as a caption."""
        return self.document is not None or self.photo is not None

    @property
    def caption(self) -> str | None:
        """The caption of a media message (None for other messages)."""
        return self.text if self.is_media else None

    @property
    def buttons(self) -> list[list[Button]]:
        """The inline keyboard, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [[Button(b["text"], b.get("callback_data"), b.get("url")) for b in row] for row in rows]

    @property
    def button_texts(self) -> list[str]:
        """Visible texts of all inline buttons."""
        return [b.text for row in self.buttons for b in row]

    def __str__(self) -> str:
        flags = " [deleted]" if self.deleted else (f" [edited x{self.edited}]" if self.edited else "")
        kinds = self._kinds()
        body = f"<{', '.join(kinds)}> {self.text!r}" if kinds else repr(self.text)
        buttons = f" buttons={self.button_texts}" if self.reply_markup else ""
        who = "bot" if self.from_bot else f"user {self.sender_id}"
        return f"#{self.message_id} {who}{flags}: {body}{buttons}"

    def _kinds(self) -> list[str]:
        kinds = [k for k in ("document", "photo") if getattr(self, k) is not None]
        return kinds + sorted(self.extra)


@dataclass
class UserRecord:
    """A Telegram account."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    started: bool = False  # has opened the private chat with the bot
    blocked: bool = False

    def to_json(self) -> JSON:
        """Telegram's User object."""
        data: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data


@dataclass
class ChatRecord:
    """A private chat (id == user id) or a group (negative id)."""

    id: int
    type: str
    title: str | None = None
    user: UserRecord | None = None
    member_ids: list[int] = field(default_factory=list)
    bot_status: str = "member"  # member, administrator, left or kicked
    messages: list[ChatMessage] = field(default_factory=list)
    next_message_id: int = 1
    reply_keyboard: JSON | None = None  # the custom keyboard currently shown
    chat_actions: list[str] = field(default_factory=list)

    @property
    def is_group(self) -> bool:
        """Groups and supergroups share flood limits and membership rules."""
        return self.type in ("group", "supergroup")

    def to_json(self) -> JSON:
        """Telegram's Chat object."""
        if self.user is not None:
            user = self.user.to_json()
            data = {"id": self.id, "type": "private", "first_name": user["first_name"]}
            data.update({k: user[k] for k in ("last_name", "username") if k in user})
            return data
        return {"id": self.id, "type": self.type, "title": self.title}

    def full_info(self) -> JSON:
        """Telegram's ChatFullInfo object."""
        return {
            **self.to_json(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def find(self, message_id: int) -> ChatMessage | None:
        """A message of this chat by id, deleted or not."""
        return next((m for m in self.messages if m.message_id == message_id), None)


@dataclass
class PendingQuery:
    """A callback query the bot has to answer exactly once."""

    query_id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answered: bool = False


@dataclass(frozen=True)
class CallbackAnswer:
    """The bot's answerCallbackQuery for one press."""

    query_id: str
    data: str
    text: str | None
    show_alert: bool
    url: str | None


class World:
    """All simulated state; every change wakes up `wait_until` waiters."""

    def __init__(self, bot: UserRecord) -> None:
        self.bot = bot
        self.users: dict[int, UserRecord] = {}
        self.chats: dict[int, ChatRecord] = {}
        self.updates: list[JSON] = []  # unconfirmed updates, oldest first
        self.history: dict[int, JSON] = {}  # every update ever pushed, for redelivery
        self.redelivered: set[int] = set()  # handed out again and not yet fetched
        self.next_update_id = 1000
        self.delivered_up_to = 0  # highest update_id returned by getUpdates
        self.dropped: dict[int, str] = {}  # update_id -> kind, for kinds the bot's allowed_updates exclude
        self.queries: dict[str, PendingQuery] = {}
        self.answers: dict[int, list[CallbackAnswer]] = {}
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.files: dict[str, Document] = {}
        self.allowed_updates: list[str] = []
        self.webhook_url = ""
        self.webhook_secret = ""
        self.closing = False
        self.wall_clock: Callable[[], float] = time.time  # message dates (the playground moves its own clock)
        self._changed = asyncio.Event()

    def changed(self) -> None:
        """Wake every waiter; they re-check their predicates."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_until(self, predicate: Callable[[], bool], within: float) -> bool:
        """Wait (without polling) until predicate() holds; False after `within` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                return predicate()
        return True

    def push_update(self, kind: str, payload: JSON) -> int:
        """Queue an update for getUpdates and return its id."""
        update_id = self.next_update_id
        self.next_update_id += 1
        self.updates.append({"update_id": update_id, kind: payload})
        self.history[update_id] = self.updates[-1]
        self.changed()
        return update_id

    def redeliver(self, update_id: int) -> None:
        """Hand out an already confirmed update again, as Telegram does for one a crashed bot never confirmed."""
        self.updates.append(self.history[update_id])
        self.updates.sort(key=lambda update: int(update["update_id"]))
        self.redelivered.add(update_id)  # not dropped by the offset the bot already moved past
        self.changed()

    def add_message(self, chat: ChatRecord, sender_id: int, **fields: Any) -> ChatMessage:
        """Store a new message with the chat's next message_id."""
        message = ChatMessage(
            chat_id=chat.id,
            message_id=chat.next_message_id,
            sender_id=sender_id,
            date=int(self.wall_clock()),
            from_bot=sender_id == self.bot.id,
            **fields,
        )
        chat.next_message_id += 1
        chat.messages.append(message)
        self.changed()
        return message

    def message_json(self, message: ChatMessage) -> JSON:
        """Telegram's Message object for a stored message, in its current state."""
        chat = self.chats[message.chat_id]
        sender = self.bot if message.from_bot else self.users[message.sender_id]
        data: JSON = {
            "message_id": message.message_id,
            "from": sender.to_json(),
            "chat": chat.to_json(),
            "date": message.date,
        }
        if message.edit_date:
            data["edit_date"] = message.edit_date
        text_key, entities_key = ("caption", "caption_entities") if message.is_media else ("text", "entities")
        if message.text:
            data[text_key] = message.text
            if message.entities:
                data[entities_key] = message.entities
        if message.document is not None:
            data["document"] = message.document.to_json()
        if message.photo is not None:
            data["photo"] = [message.photo.photo_size_json()]
        if message.reply_markup is not None:
            data["reply_markup"] = message.reply_markup
        if message.reply_to is not None and (replied := chat.find(message.reply_to)) is not None:
            data["reply_to_message"] = self.message_json(replied)
        data.update(message.extra)
        return data

    def member_change(self, chat: ChatRecord, actor: UserRecord, old: str, new: str) -> JSON:
        """A ChatMemberUpdated about the bot's own membership (my_chat_member)."""
        return {
            "chat": chat.to_json(),
            "from": actor.to_json(),
            "date": int(self.wall_clock()),
            "old_chat_member": member_json(self.bot, old),
            "new_chat_member": member_json(self.bot, new),
        }

    def target_chat(self, chat_id: object, for_sending: bool = True) -> ChatRecord:
        """Resolve a chat_id the bot addressed, refusing like Telegram for unknown or unreachable chats."""
        chat = self.chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise bad_request("chat not found")
        if not for_sending:
            return chat
        if chat.user is not None:
            if chat.user.blocked:
                raise forbidden("bot was blocked by the user")
            if not chat.user.started:
                raise forbidden("bot can't initiate conversation with a user")
        elif chat.bot_status in ("left", "kicked"):
            what = "was kicked from" if chat.bot_status == "kicked" else "is not a member of"
            raise forbidden(f"bot {what} the {chat.type} chat")
        return chat


ADMIN_RIGHTS = (
    "can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
    "can_promote_members", "can_change_info", "can_invite_users", "can_post_stories",
    "can_edit_stories", "can_delete_stories",
)  # fmt: skip


def member_json(user: UserRecord, status: str) -> JSON:
    """A ChatMember object with the fields its status requires."""
    data: JSON = {"status": status, "user": user.to_json()}
    if status == "kicked":
        data["until_date"] = 0
    if status == "administrator":
        data.update({"can_be_edited": False, "is_anonymous": False})
        data.update({right: right in ("can_manage_chat", "can_delete_messages") for right in ADMIN_RIGHTS})
    return data
