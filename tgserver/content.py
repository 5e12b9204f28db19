"""Checks on message content: text and caption parsing/limits and keyboards, as Telegram does them."""

from __future__ import annotations

from typing import Any

from tgserver.errors import bad_request, not_implemented
from tgserver.html import HtmlError, ParsedText, parse_html, utf16_len

JSON = dict[str, Any]
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_CALLBACK_ANSWER = 200
# InlineKeyboardButton fields that are not an action; exactly one of the others must be set.
NON_ACTION_FIELDS = frozenset({"text", "icon_custom_emoji_id", "style"})
URL_SCHEMES = ("http://", "https://", "tg://")
CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
        "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
    }
)  # fmt: skip


def parse_text(text: str, parse_mode: str | None, entities: list[JSON] | None) -> ParsedText:
    """Apply parse_mode (HTML only; Markdown is not simulated) or explicit entities."""
    if parse_mode:
        mode = parse_mode.lower()
        if mode == "html":
            try:
                return parse_html(text)
            except HtmlError as exc:
                raise bad_request(str(exc).removeprefix("Bad Request: ")) from None
        if mode in ("markdown", "markdownv2"):
            raise not_implemented(f"parse_mode {parse_mode}")
        raise bad_request(f"unsupported parse_mode {parse_mode!r}")
    given = entities or []
    length = utf16_len(text)
    for entity in given:
        if entity["offset"] < 0 or entity["length"] <= 0 or entity["offset"] + entity["length"] > length:
            raise bad_request("can't parse entities: entity is out of the text bounds")
    return ParsedText(text, list(given))


def message_text(params: JSON, key: str = "text") -> ParsedText:
    """The text of a message after entity parsing, refusing empty or too long text."""
    parsed = parse_text(params[key], params.get("parse_mode"), params.get("entities"))
    if not parsed.text.strip():
        raise bad_request("message text is empty")
    if utf16_len(parsed.text) > MAX_TEXT:
        raise bad_request("message is too long")
    return parsed


def caption_text(params: JSON) -> ParsedText | None:
    """The caption after entity parsing, refusing one over 1024 characters."""
    if params.get("caption") is None:
        return None
    parsed = parse_text(params["caption"], params.get("parse_mode"), params.get("caption_entities"))
    if utf16_len(parsed.text) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    return parsed


def check_reply_markup(markup: JSON | None) -> None:
    """Refuse inline keyboards Telegram would refuse."""
    if markup is None or "inline_keyboard" not in markup:
        return
    for row in markup["inline_keyboard"]:
        for button in row:
            check_inline_button(button)


def check_inline_button(button: JSON) -> None:
    """Exactly one action; callback_data of 1-64 bytes; only http(s)/tg URLs."""
    actions = sorted(set(button) - NON_ACTION_FIELDS)
    if not actions:
        raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise bad_request(
            f"can't parse inline keyboard button: exactly one action must be set, got {', '.join(actions)}"
        )
    data = button.get("callback_data")
    if data is not None and not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA:
        raise bad_request("BUTTON_DATA_INVALID")
    url = button.get("url")
    if url is not None and not url.startswith(URL_SCHEMES):
        raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")


def inline_markup(markup: JSON | None) -> JSON | None:
    """The part of reply_markup that becomes Message.reply_markup (inline keyboards only)."""
    if markup is None or "inline_keyboard" not in markup:
        return None
    return markup


def check_chat_action(action: str) -> None:
    """Only Telegram's chat action names are accepted."""
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")


def check_callback_answer_text(text: str | None) -> None:
    """answerCallbackQuery text is limited to 200 characters."""
    if text is not None and utf16_len(text) > MAX_CALLBACK_ANSWER:
        raise bad_request("MESSAGE_TOO_LONG")
