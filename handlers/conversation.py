"""What the guided conversations (/verzoek, /bijeenkomst) share: how they are built, and text where a button
belongs."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.persistence import end_conversation_with
from handlers.context import BotContext, Turn, open_turn

# Only new messages: an edit of an earlier message must not count as the answer to the current step.
TEXT = filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND


async def reply(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> Message:
    """Answer, in HTML, in the chat the update came from."""
    message = update.effective_message
    assert message is not None
    return await message.reply_text(text, reply_markup=markup, parse_mode=ParseMode.HTML)


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


async def end_with_the_change(update: Update, context: BotContext, turn: Turn, *, name: str, draft_key: str) -> None:
    """Write the conversation's end (and the user's data without its draft) in the transaction of the change
    its last step makes. PTB saves the new state only after the handler returns: were the bot killed in
    between, the finished form would come back and its last button, pressed again, would do it twice."""
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    rest = {key: value for key, value in (context.user_data or {}).items() if key != draft_key}
    await end_conversation_with(turn.session, name=name, key=(chat.id, user.id), user_id=user.id, user_data=rest)
