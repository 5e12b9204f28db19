"""Editing a message only when it would change: Telegram refuses an edit to the same content."""

from __future__ import annotations

import hashlib
import html
import re

from telegram import CallbackQuery, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest

_TAG = re.compile(r"<[^>]+>")


def plain_text(html_text: str) -> str:
    """What a user sees of our HTML: tags dropped, entities resolved."""
    return html.unescape(_TAG.sub("", html_text))


def digest(html_text: str, markup: InlineKeyboardMarkup | None) -> str:
    """A fingerprint of a rendered message, to skip edits that would change nothing."""
    buttons = markup.to_json() if markup is not None else ""
    return hashlib.sha256(f"{html_text}\x00{buttons}".encode()).hexdigest()


def shows(message: Message, html_text: str, markup: InlineKeyboardMarkup | None) -> bool:
    """Whether the message already shows this text and these buttons."""
    current = message.reply_markup if message.reply_markup and message.reply_markup.inline_keyboard else None
    return message.text == plain_text(html_text) and current == markup


async def edit_if_changed(query: CallbackQuery, html_text: str, markup: InlineKeyboardMarkup | None = None) -> bool:
    """Edit the pressed message to this content unless it already shows it; True if edited."""
    message = query.message
    if isinstance(message, Message) and shows(message, html_text, markup):
        return False
    if isinstance(message, Message) and message.text is None:
        # A press that arrives on a file or photo (a forged button, or one on a message that is not ours to
        # rewrite): there is no text to edit, so the answer comes as a new message in the same chat.
        await message.reply_html(html_text, reply_markup=markup, do_quote=False)
        return False
    try:
        await query.edit_message_text(html_text, parse_mode=ParseMode.HTML, reply_markup=markup)
    except BadRequest as exc:
        # A double tap: the first press already changed the message to this; the press we see is older.
        if "not modified" not in exc.message.lower():
            raise
        return False
    return True


async def remove_buttons(query: CallbackQuery) -> None:
    """Take the buttons off the pressed message, if it still has any."""
    message = query.message
    if isinstance(message, Message) and message.reply_markup and message.reply_markup.inline_keyboard:
        try:
            await query.edit_message_reply_markup(None)
        except BadRequest as exc:
            if "not modified" not in exc.message.lower():
                raise
