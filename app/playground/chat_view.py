"""A chat of the Telegram stand-in as the playground page shows it: each message's text and entities turned into
the HTML Telegram's apps would render, built here from the parsed entities (never the bot's HTML passed on), so
that what reaches the page is escaped text inside a fixed set of tags."""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tgserver.state import ChatMessage, Document

JSON = dict[str, Any]

# Entity type -> (opening tag, closing tag); links get their href separately.
_TAGS: dict[str, tuple[str, str]] = {
    "bold": ("<b>", "</b>"),
    "italic": ("<i>", "</i>"),
    "underline": ("<u>", "</u>"),
    "strikethrough": ("<s>", "</s>"),
    "spoiler": ('<span class="tg-spoiler">', "</span>"),
    "code": ("<code>", "</code>"),
    "pre": ("<pre>", "</pre>"),
    "blockquote": ("<blockquote>", "</blockquote>"),
    "expandable_blockquote": ("<blockquote>", "</blockquote>"),
}
_SAFE_SCHEMES = ("http://", "https://", "tg://", "mailto:")


def _utf16_units(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def _link(entity: JSON, covered: str) -> tuple[str, str] | None:
    """An <a> for a link entity whose address is safe to open; None for anything else."""
    if entity["type"] == "text_link":
        target = str(entity.get("url", ""))
    elif entity["type"] == "url":
        target = covered if "://" in covered else f"https://{covered}"
    elif entity["type"] == "email":
        target = f"mailto:{covered}"
    else:
        return None
    if not target.lower().startswith(_SAFE_SCHEMES):
        return None
    return f'<a href="{html.escape(target, quote=True)}" target="_blank" rel="noopener noreferrer">', "</a>"


def render_html(text: str, entities: list[JSON]) -> str:
    """Text with its entities (UTF-16 offsets, as Telegram counts) as escaped HTML; newlines as <br>."""
    # Map UTF-16 offsets to indexes in the Python string.
    index_of: dict[int, int] = {}
    units = 0
    for index, char in enumerate(text):
        index_of[units] = index
        units += _utf16_units(char)
    index_of[units] = len(text)
    spans: list[tuple[int, int, str, str]] = []
    for entity in entities:
        start = index_of.get(int(entity.get("offset", 0)))
        end = index_of.get(int(entity.get("offset", 0)) + int(entity.get("length", 0)))
        if start is None or end is None or end <= start:
            continue
        tags = _TAGS.get(entity["type"]) or _link(entity, text[start:end])
        if tags is not None:
            spans.append((start, end, *tags))
    # Outer entities first; an entity that would cross another is closed and opened again around it.
    spans.sort(key=lambda span: (span[0], -span[1]))
    opens: dict[int, list[tuple[int, int, str, str]]] = {}
    for span in spans:
        opens.setdefault(span[0], []).append(span)
    out: list[str] = []
    stack: list[tuple[int, int, str, str]] = []
    for index in range(len(text) + 1):
        while stack and stack[-1][1] == index:
            out.append(stack.pop()[3])
        if any(span[1] == index for span in stack):  # a crossing: close down to it, reopen the rest
            kept = [span for span in stack if span[1] != index]
            out.extend(span[3] for span in reversed(stack))
            stack = kept
            out.extend(span[2] for span in stack)
        if index == len(text):
            break
        for span in opens.get(index, []):
            out.append(span[2])
            stack.append(span)
        char = text[index]
        out.append("<br>" if char == "\n" else html.escape(char))
    return "".join(out)


@dataclass(frozen=True)
class Names:
    """Who is who in a chat: user id -> the name the page shows."""

    by_id: dict[int, str]

    def of(self, user_id: int) -> str:
        """A sender's name."""
        return self.by_id.get(user_id, "?")


@dataclass(frozen=True)
class ButtonView:
    """An inline button: its label, and what pressing it does (callback data, or a link to open)."""

    text: str
    data: str | None
    url: str | None


@dataclass(frozen=True)
class FileView:
    """A document or photo the bot sent, as a download."""

    name: str
    url: str
    mime: str
    size: int


@dataclass(frozen=True)
class MessageView:
    """One message as the page shows it."""

    id: int
    from_bot: bool
    sender: str
    html: str
    time: str
    edited: bool
    buttons: list[list[ButtonView]]
    document: FileView | None
    photo: FileView | None

    def to_json(self) -> JSON:
        """The message in the API's JSON (README: The playground's JSON API)."""
        return asdict(self)


def _file_view(document: Document | None) -> FileView | None:
    if document is None:
        return None
    return FileView(document.filename, f"/api/files/{document.file_id}", document.mime_type, len(document.content))


def _contact_html(message: ChatMessage) -> str | None:
    """A shared contact, as Telegram shows it: the phone number (the persona's own, made up)."""
    contact = message.extra.get("contact")
    if not isinstance(contact, dict):
        return None
    return "📞 " + html.escape(str(contact.get("phone_number", "")))


def message_view(message: ChatMessage, names: Names, zone: ZoneInfo) -> MessageView:
    """One message of the stand-in as the page shows it, its time in the bot's time zone."""
    return MessageView(
        id=message.message_id,
        from_bot=message.from_bot,
        sender=names.of(message.sender_id),
        html=_contact_html(message) or render_html(message.text, message.entities),
        time=datetime.fromtimestamp(message.date, UTC).astimezone(zone).strftime("%H:%M"),
        edited=message.edited > 0,
        buttons=[[ButtonView(b.text, b.callback_data, b.url) for b in row] for row in message.buttons],
        document=_file_view(message.document),
        photo=_file_view(message.photo),
    )
