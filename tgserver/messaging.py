"""Bot API methods that send, edit and delete messages or answer callback queries."""

from __future__ import annotations

import mimetypes
from collections.abc import Awaitable, Callable
from typing import Any

from tgserver import content
from tgserver.errors import bad_request, not_implemented
from tgserver.spec import UploadedFile
from tgserver.state import CallbackAnswer, ChatMessage, ChatRecord, Document, World

JSON = dict[str, Any]
Handler = Callable[[JSON], Awaitable[object]]
MAX_UPLOAD = 50 * 1024 * 1024
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)


class Messaging:
    """sendMessage, sendDocument, sendPhoto, edits, deleteMessage, answerCallbackQuery, sendChatAction."""

    def __init__(self, world: World, flood: Callable[[ChatRecord], None]) -> None:
        self.world = world
        self.flood = flood  # raises 429 when this message would exceed a flood limit
        self._file_counter = 0

    def handlers(self) -> dict[str, Handler]:
        """Method name -> implementation."""
        return {
            "sendMessage": self.send_message,
            "sendDocument": self.send_document,
            "sendPhoto": self.send_photo,
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "answerCallbackQuery": self.answer_callback_query,
            "sendChatAction": self.send_chat_action,
        }

    async def send_message(self, params: JSON) -> JSON:
        """sendMessage."""
        chat = self._chat_for_new_message(params)
        parsed = content.message_text(params)
        markup = params.get("reply_markup")
        content.check_reply_markup(markup)
        return self._post(chat, params, text=parsed.text, entities=parsed.entities, html=params["text"])

    async def send_document(self, params: JSON) -> JSON:
        """sendDocument (multipart upload or an earlier file_id)."""
        return await self._send_file(params, "document")

    async def send_photo(self, params: JSON) -> JSON:
        """sendPhoto (multipart upload or an earlier file_id)."""
        return await self._send_file(params, "photo")

    async def _send_file(self, params: JSON, kind: str) -> JSON:
        chat = self._chat_for_new_message(params)
        caption = content.caption_text(params)
        content.check_reply_markup(params.get("reply_markup"))
        document = self._file(params[kind])
        fields: JSON = {kind: document}
        if caption is not None:
            fields.update(text=caption.text, entities=caption.entities, html=params["caption"])
        return self._post(chat, params, **fields)

    def _chat_for_new_message(self, params: JSON) -> ChatRecord:
        """The target chat of a new message, refusing forum-only parameters in ordinary chats."""
        chat = self.world.target_chat(params["chat_id"])
        if params.get("message_thread_id") is not None:
            raise bad_request("message thread not found")
        return chat

    def _post(self, chat: ChatRecord, params: JSON, **fields: Any) -> JSON:
        """Store the bot's new message after the last checks (reply target, flood limits)."""
        reply = params.get("reply_parameters")
        reply_to = None
        if reply is not None:
            target = chat.find(reply["message_id"])
            if (target is None or target.deleted) and not reply.get("allow_sending_without_reply"):
                raise bad_request("message to be replied not found")
            reply_to = target.message_id if target is not None and not target.deleted else None
        self.flood(chat)
        markup = params.get("reply_markup")
        if markup is not None and ("keyboard" in markup or "remove_keyboard" in markup):
            chat.reply_keyboard = markup if "keyboard" in markup else None
        message = self.world.add_message(
            chat,
            self.world.bot.id,
            parse_mode=params.get("parse_mode"),
            reply_markup=content.inline_markup(markup),
            reply_to=reply_to,
            **fields,
        )
        return self.world.message_json(message)

    def _file(self, value: UploadedFile | str) -> Document:
        """A new upload or a known file_id; URLs are not fetched by the test server."""
        if isinstance(value, str):
            if value.startswith(("http://", "https://")):
                raise not_implemented("sending files by URL")
            known = self.world.files.get(value)
            if known is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
            return known
        if not value.content:
            raise bad_request("file must be non-empty")
        if len(value.content) > MAX_UPLOAD:
            raise bad_request("file is too big")
        self._file_counter += 1
        mime = value.content_type
        if mime in ("", "application/octet-stream"):
            mime = mimetypes.guess_type(value.filename)[0] or "application/octet-stream"
        document = Document(
            file_id=f"BQACAgQAAxkDAAI{self._file_counter:06d}",
            file_unique_id=f"AgAD{self._file_counter:06d}",
            filename=value.filename,
            mime_type=mime,
            content=value.content,
        )
        self.world.files[document.file_id] = document
        return document

    def _own_message(self, params: JSON, verb: str) -> tuple[ChatRecord, ChatMessage]:
        """The bot message an edit addresses, refusing missing, deleted and foreign messages."""
        if params.get("inline_message_id") is not None:
            raise not_implemented(f"{verb}ing inline messages")
        if params.get("chat_id") is None or params.get("message_id") is None:
            raise bad_request("message identifier is not specified")
        chat = self.world.target_chat(params["chat_id"])
        message = chat.find(params["message_id"])
        if message is None or message.deleted:
            raise bad_request(f"message to {verb} not found")
        if not message.from_bot:
            raise bad_request(f"message can't be {verb}ed")
        return chat, message

    def _apply_edit(self, message: ChatMessage, changes: JSON) -> JSON:
        """Apply an edit unless it changes nothing, which Telegram refuses."""
        if all(getattr(message, key) == value for key, value in changes.items()):
            raise bad_request(NOT_MODIFIED)
        for key, value in changes.items():
            setattr(message, key, value)
        message.edited += 1
        message.edit_date = int(self.world.wall_clock())
        self.world.changed()
        return self.world.message_json(message)

    async def edit_message_text(self, params: JSON) -> JSON:
        """editMessageText; omitting reply_markup removes the inline keyboard, as on Telegram."""
        _, message = self._own_message(params, "edit")
        if message.is_media:
            raise bad_request("there is no text in the message to edit")
        parsed = content.message_text(params)
        content.check_reply_markup(params.get("reply_markup"))
        changes = {"text": parsed.text, "entities": parsed.entities, "reply_markup": params.get("reply_markup")}
        result = self._apply_edit(message, changes)
        message.html, message.parse_mode = params["text"], params.get("parse_mode")
        return result

    async def edit_message_caption(self, params: JSON) -> JSON:
        """editMessageCaption."""
        _, message = self._own_message(params, "edit")
        if not message.is_media:
            raise bad_request("there is no caption in the message to edit")
        caption = content.caption_text(params)
        content.check_reply_markup(params.get("reply_markup"))
        changes = {
            "text": caption.text if caption else "",
            "entities": caption.entities if caption else [],
            "reply_markup": params.get("reply_markup"),
        }
        result = self._apply_edit(message, changes)
        message.html, message.parse_mode = params.get("caption") or "", params.get("parse_mode")
        return result

    async def edit_message_reply_markup(self, params: JSON) -> JSON:
        """editMessageReplyMarkup; no reply_markup removes the keyboard."""
        _, message = self._own_message(params, "edit")
        content.check_reply_markup(params.get("reply_markup"))
        return self._apply_edit(message, {"reply_markup": params.get("reply_markup")})

    async def delete_message(self, params: JSON) -> bool:
        """deleteMessage: the bot's own messages, incoming ones in private chats, any as group admin."""
        chat = self.world.target_chat(params["chat_id"])
        message = chat.find(params["message_id"])
        if message is None or message.deleted:
            raise bad_request("message to delete not found")
        if not message.from_bot and chat.is_group and chat.bot_status != "administrator":
            raise bad_request("message can't be deleted")
        message.deleted = True
        self.world.changed()
        return True

    async def answer_callback_query(self, params: JSON) -> bool:
        """answerCallbackQuery, at most once per query."""
        query = self.world.queries.get(params["callback_query_id"])
        if query is None or query.answered:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        content.check_callback_answer_text(params.get("text"))
        query.answered = True
        answer = CallbackAnswer(
            query.query_id, query.data, params.get("text"), bool(params.get("show_alert")), params.get("url")
        )
        self.world.answers.setdefault(query.user_id, []).append(answer)
        self.world.changed()
        return True

    async def send_chat_action(self, params: JSON) -> bool:
        """sendChatAction."""
        chat = self.world.target_chat(params["chat_id"])
        content.check_chat_action(params["action"])
        chat.chat_actions.append(params["action"])
        self.world.changed()
        return True
