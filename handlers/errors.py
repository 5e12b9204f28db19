"""The one error handler: log with ids only, tell the person something kind."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from handlers.context import BotContext, translator_for

log = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure (ids and the exception, never message text) and apologise to the user."""
    error = context.error
    if not isinstance(update, Update):
        log.error("error outside an update: %s", type(error).__name__, exc_info=error)
        return
    user = update.effective_user
    chat = update.effective_chat
    log.error(
        "error handling update %s (user %s, chat %s): %s",
        update.update_id,
        user.id if user else None,
        chat.id if chat else None,
        type(error).__name__,
        exc_info=error,
    )
    # No database lookup here: the failure may be the database itself, so use Telegram's language hint.
    t = translator_for(context.runtime, None, user.language_code if user else None)
    text = t.gettext(
        "Sorry, something went wrong on our side. Please try again in a moment; /help shows what you can do."
    )
    try:
        # A message rather than a callback answer: the handler may have answered the press already, and a
        # second answer would be refused.
        if chat is not None:
            await context.bot.send_message(chat.id, text)
    except TelegramError as exc:  # the query may already be answered, the chat gone
        log.warning("could not tell user %s about error: %s", user.id if user else None, type(exc).__name__)
