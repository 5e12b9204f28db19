"""`/help`, `/annuleer`, and a pointer to /help for anything the bot does not understand."""

from __future__ import annotations

from telegram import ReplyKeyboardRemove, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from handlers.context import BotContext, open_turn
from handlers.entry import Said, command
from handlers.texts import help_text

# release_before_reply: handlers that may answer in a group end their transaction before the reply. In a group
# the rate limiter can hold a reply back for many seconds (Telegram allows 20 messages a minute there), and an
# open transaction holds SQLite's write lock all that time: a few commands typed in a busy group then made every
# other update and job fail with "database is locked".


@command("help")
async def show_help(said: Said) -> None:
    """Explain, for this person's roles, what they can do."""
    text = help_text(said.t, said.member)
    await said.turn.commit()  # see release_before_reply
    await said.message.reply_html(text)


@command("annuleer", "cancel")
async def cancel(said: Said) -> None:
    """Outside a conversation there is nothing to stop; say so, kindly."""
    await said.turn.commit()  # see release_before_reply
    # Also takes away a reply keyboard left open (e.g. the phone-sharing button).
    await said.message.reply_text(
        said.t.gettext("There is nothing to cancel. /help shows what you can do."),
        reply_markup=ReplyKeyboardRemove(),
    )


async def not_understood(update: Update, context: BotContext) -> None:
    """Text, commands or files the bot has no use for get a short pointer to /help, not silence."""
    message = update.effective_message
    if message is None:
        return
    async with open_turn(update, context) as turn:
        await message.reply_text(turn.t.gettext("I did not understand that. /help shows what you can do."))


async def stale_button(update: Update, context: BotContext) -> None:
    """A press no handler claimed: stale, from an old version, or forged."""
    query = update.callback_query
    if query is None:
        return
    async with open_turn(update, context) as turn:
        await query.answer(turn.t.gettext("This button no longer works. /help shows what you can do."))


def build() -> list[BaseHandler[Update, BotContext, None]]:
    """The general commands; register before the features."""
    return [
        show_help.handler(),
        cancel.handler(),
    ]


async def private_only(update: Update, context: BotContext) -> None:
    """A personal command used in a group: answered with a pointer to the private chat, nothing shown there."""
    message = update.effective_message
    if message is None:
        return
    async with open_turn(update, context) as turn:
        await turn.commit()  # see release_before_reply
        await message.reply_text(turn.t.gettext("Please use this command in a private chat with me."))


PRIVATE_COMMANDS = [
    "verzoek",
    "request",
    "mijnverzoeken",
    "myrequests",
    "uitnodiging",
    "invite",
    "profiel",
    "profile",
    "bijeenkomst",
    "meeting",
    "bijeenkomsten",
    "meetings",
    "actiepunten",
    "actions",
]


def build_fallbacks() -> list[BaseHandler[Update, BotContext, None]]:
    """Catch-alls; register after every feature, so they only see what nothing else took."""
    return [
        CommandHandler(PRIVATE_COMMANDS, private_only, filters=filters.ChatType.GROUPS),
        # In groups the bot only answers what is addressed to it; elsewhere everything gets an answer.
        MessageHandler(
            filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE & ~filters.StatusUpdate.ALL, not_understood
        ),
        CallbackQueryHandler(stale_button),
    ]
