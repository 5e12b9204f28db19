"""Wiring: the whole Application in one place, in the order updates meet it."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes

from bot.clock import Clock, SystemClock
from bot.config import SUPPORTED_LANGUAGES, Settings
from bot.i18n import Translator
from bot.runtime import Runtime
from db.migrate import upgrade_to_head
from db.session import Database
from handlers import general, invites, onboarding, profile
from handlers.commands import command_menu
from handlers.context import RUNTIME_KEY, BotApplication, BotContext
from handlers.errors import on_error

log = logging.getLogger(__name__)


async def set_command_menus(application: BotApplication, settings: Settings) -> None:
    """Command menus per language (nl, en) and a Dutch default for any other language."""
    for language in SUPPORTED_LANGUAGES:
        menu = command_menu(Translator(language, settings.zone))
        await application.bot.set_my_commands(menu, language_code=language)
    await application.bot.set_my_commands(command_menu(Translator(settings.default_language, settings.zone)))


def build_application(
    settings: Settings,
    *,
    clock: Clock | None = None,
    application_class: type[Application[Any, Any, Any, Any, Any, Any]] = Application,
) -> BotApplication:
    """Build the bot: settings, rate limiter, resources opened in post_init, and every handler."""
    runtime_clock = clock or SystemClock()

    async def post_init(application: BotApplication) -> None:
        database = Database(settings.database_url)
        await upgrade_to_head(database.engine)
        application.bot_data[RUNTIME_KEY] = Runtime(settings, database, runtime_clock, application.bot.username)
        await set_command_menus(application, settings)
        log.info("bot %s ready", application.bot.id)

    async def post_shutdown(application: BotApplication) -> None:
        runtime = application.bot_data.get(RUNTIME_KEY)
        if isinstance(runtime, Runtime):
            await runtime.database.dispose()

    application: BotApplication = (
        ApplicationBuilder()
        .application_class(application_class)
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_base_file_url)
        .context_types(ContextTypes(context=BotContext))
        .rate_limiter(AIORateLimiter())
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )

    # General commands first, then one module per feature, then the catch-alls for whatever is left.
    application.add_handlers(general.build())
    application.add_handlers(onboarding.build())
    application.add_handlers(profile.build())
    application.add_handlers(invites.build())
    application.add_handlers(general.build_fallbacks())
    application.add_error_handler(on_error)
    return application


def run(settings: Settings) -> None:
    """Long polling until Ctrl-C or SIGTERM."""
    application = build_application(settings)
    application.run_polling(allowed_updates=Update.ALL_TYPES)
