"""What the outbox dispatcher sends for a row: text and buttons, an edit, or a file with a caption."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardMarkup


@dataclass(frozen=True)
class Rendered:
    """What to send, or to edit into an existing message."""

    text: str
    markup: InlineKeyboardMarkup | None = None
    edit_message_id: int | None = None
    fingerprint: str | None = None  # for copies of a request: what the recipient's message will show
    document: tuple[str, bytes] | None = None  # (file name, content): sent with `text` as its caption
    group_post_id: int | None = None  # for a request posted in a wijk group
