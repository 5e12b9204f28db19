"""What the guided conversations (/verzoek, /bijeenkomst) share: how they are built, and text where a button
belongs."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from handlers.context import BotContext, open_turn

# Only new messages: an edit of an earlier message must not count as the answer to the current step.
TEXT = filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND


async def use_buttons(update: Update, context: BotContext) -> None:
    """Text where a button is expected: say so and stay in the step (returning None keeps the state)."""
    message = update.effective_message
    if message is None:
        return
    async with open_turn(update, context) as turn:
        await message.reply_text(turn.t.gettext("Please use the buttons above, or /annuleer to stop."))


def stay() -> BaseHandler[Update, BotContext, Any]:
    """The handler for text in a step that wants a button."""
    return MessageHandler(TEXT, use_buttons)


def persistent_conversation(
    *,
    name: str,
    entry_points: Sequence[BaseHandler[Update, BotContext, Any]],
    states: dict[object, list[BaseHandler[Update, BotContext, Any]]],
    cancel: Any,
) -> ConversationHandler[BotContext]:
    """A conversation whose step is kept in the database, left with /annuleer, restarted by its command."""
    with warnings.catch_warnings():
        # PTB warns that button presses are tracked per chat and user, not per message: that is what we want,
        # one draft per person.
        warnings.filterwarnings("ignore", message=".*per_message=False.*")
        return ConversationHandler(
            entry_points=list(entry_points),
            states=states,
            fallbacks=[CommandHandler(["annuleer", "cancel"], cancel)],
            name=name,
            persistent=True,
            allow_reentry=True,
        )
