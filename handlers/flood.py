"""Slowing down a person who floods the bot, before any other handler (and the database) sees the update."""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.flood import Bucket, FloodGuard, Verdict
from bot.i18n import Translator
from bot.services.members import find_member
from handlers.context import BotContext, translator_for

log = logging.getLogger(__name__)

FLOOD_KEY = "flood_guard"
# Far below every feature's group (0) and the conversations: a dropped update never reaches them.
FLOOD_GROUP = -100


def _guard(context: BotContext) -> FloodGuard:
    guard = context.bot_data.get(FLOOD_KEY)
    if guard is None:
        settings = context.runtime.settings
        guard = FloodGuard(settings.flood_burst, settings.flood_window_seconds)
        context.bot_data[FLOOD_KEY] = guard
    assert isinstance(guard, FloodGuard)
    return guard


async def _translator(update: Update, context: BotContext, bucket: Bucket | None) -> Translator:
    """The person's language: looked up once per burst (members choose theirs), then kept in the bucket."""
    runtime = context.runtime
    user = update.effective_user
    language = user.language_code if user else None
    if bucket is not None and bucket.language is not None:
        return Translator(bucket.language, runtime.settings.zone)
    member = None
    if user is not None:
        try:
            async with runtime.database.session() as session:
                member = await find_member(session, user.id)
        except SQLAlchemyError:  # the notice matters more than its language: Telegram's hint will do
            log.warning("flood: could not look up user %s", user.id)
    t = translator_for(runtime, member, language)
    if bucket is not None:
        bucket.language = t.language
    return t


async def check_flood(update: Update, context: BotContext) -> None:
    """Serve the update, or drop it (telling the person once per burst, and answering every press)."""
    user = update.effective_user
    # Only what a person sends counts: membership changes and the like are Telegram's doing.
    if user is None or not (update.message or update.edited_message or update.callback_query):
        return
    guard = _guard(context)
    verdict = guard.check(user.id, context.runtime.clock.now().timestamp())
    if verdict is Verdict.SERVE:
        return
    try:
        await _tell(update, context, user.id, guard.bucket(user.id), warn=verdict is Verdict.WARN)
    except TelegramError as exc:  # the notice is a courtesy; failing to send it must not bring the update back
        log.warning("flood: could not tell user %s: %s", user.id, type(exc).__name__)
    raise ApplicationHandlerStop


async def _tell(update: Update, context: BotContext, user_id: int, bucket: Bucket | None, *, warn: bool) -> None:
    """Once per burst, the slow-down notice; after it, a short answer to every press (else the person's app
    shows a spinner), without the database."""
    query = update.callback_query
    if warn:
        log.warning("flood: slowing down user %s", user_id)
        t = await _translator(update, context, bucket)
        text = t.gettext("You are sending a lot at once. Please wait a moment; I will answer again shortly.")
        if query is not None:
            await query.answer(text, show_alert=True)
        elif update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, text)
    elif query is not None:
        t = await _translator(update, context, bucket)
        await query.answer(t.gettext("Slow down a little, please."))


def build() -> TypeHandler[Update, BotContext, None]:
    """The guard; register it in FLOOD_GROUP."""
    return TypeHandler(Update, check_flood)
