"""The benchmark's yardstick: a bare python-telegram-bot bot doing the least the same updates ask for.

`/help` gets a short reply with two buttons; a press on "r" (like an RSVP) is answered and the message edited;
a press on "o" (like an offer) is answered, the message edited and a notice sent. Long polling, no database.

    BENCH_TOKEN=... BENCH_BASE_URL=http://127.0.0.1:PORT/bot python tests/bench/bare_bot.py [--rate-limiter]
"""

from __future__ import annotations

import itertools
import logging
import os
import sys
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

KEYBOARD = InlineKeyboardMarkup(
    [[InlineKeyboardButton("Ja", callback_data="r"), InlineKeyboardButton("Ik kan alles", callback_data="o")]]
)
_edits = itertools.count(1)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A short text, with buttons to press later."""
    if update.effective_message is not None:
        await update.effective_message.reply_text("Hulp: dit is een kale bot.", reply_markup=KEYBOARD)


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the query, edit the message; an offer also sends a notice."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    await query.answer("Opgeslagen")
    await query.edit_message_text(f"Antwoord {query.data} #{next(_edits)}", reply_markup=KEYBOARD)
    if query.data == "o":
        await context.bot.send_message(query.message.chat.id, "Aanbod ontvangen")


async def announce(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The line the benchmark waits for (like Wijkhulp's 'bot N ready')."""
    print(f"bot {application.bot.id} ready", file=sys.stderr, flush=True)


def main() -> None:
    """Build and poll until SIGTERM."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    builder = ApplicationBuilder().token(os.environ["BENCH_TOKEN"]).base_url(os.environ["BENCH_BASE_URL"])
    application: Application[Any, Any, Any, Any, Any, Any]
    if "--rate-limiter" in sys.argv:
        application = builder.rate_limiter(AIORateLimiter()).post_init(announce).build()
    else:
        application = builder.post_init(announce).build()
    application.add_handler(CommandHandler("help", help_command))
    application.add_handler(CallbackQueryHandler(on_press))
    application.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
