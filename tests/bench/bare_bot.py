"""The benchmark's yardstick: a bare python-telegram-bot bot doing the least the same updates ask for.

`/help` gets a short reply with two buttons; a press on "r" (like an RSVP) is answered and the message edited;
a press on "o" (like an offer) is answered, the message edited and a notice sent. Long polling, no database.

With `--database URL` (an async SQLAlchemy URL) it does the least a bot with a database does per update,
through the same parts as Wijkhulp (SQLAlchemy's async ORM on aiosqlite or asyncpg): it reads the sender's row
before answering and records the update as handled after, one transaction each. That is the floor any such bot
pays, whatever else it does.

    BENCH_TOKEN=... BENCH_BASE_URL=http://127.0.0.1:PORT/bot python tests/bench/bare_bot.py [--rate-limiter]
        [--database sqlite+aiosqlite:///FILE]
"""

from __future__ import annotations

import itertools
import logging
import os
import sys
from typing import Any

from sqlalchemy import BigInteger, String, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    TypeHandler,
)

KEYBOARD = InlineKeyboardMarkup(
    [[InlineKeyboardButton("Ja", callback_data="r"), InlineKeyboardButton("Ik kan alles", callback_data="o")]]
)
_edits = itertools.count(1)
_sessions: async_sessionmaker[AsyncSession] | None = None


class Base(DeclarativeBase):
    """The database variant's two tables."""


class Person(Base):
    """Who someone is (read before every answer, as a permission check would)."""

    __tablename__ = "person"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    language: Mapped[str] = mapped_column(String(8))


class Handled(Base):
    """An update that was handled (written after every update, as a once-only mark would)."""

    __tablename__ = "handled"
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)


async def read_person(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Before the handler: the sender's row, in a transaction of its own."""
    if _sessions is not None and update.effective_user is not None:
        async with _sessions() as session:
            await session.scalar(select(Person).where(Person.id == update.effective_user.id))


async def mark_handled(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """After the handler: the update recorded as handled, committed."""
    if _sessions is not None:
        async with _sessions.begin() as session:
            session.add(Handled(update_id=update.update_id))


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
    """The database variant's tables; then the line the benchmark waits for (like Wijkhulp's 'bot N ready')."""
    global _sessions
    if "--database" in sys.argv:
        engine = create_async_engine(sys.argv[sys.argv.index("--database") + 1])
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        _sessions = async_sessionmaker(engine, expire_on_commit=False)
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
    application.add_handler(TypeHandler(Update, read_person), group=-1)
    application.add_handler(CommandHandler("help", help_command))
    application.add_handler(CallbackQueryHandler(on_press))
    application.add_handler(TypeHandler(Update, mark_handled), group=1)
    application.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
