"""Wiring: the whole Application in one place, in the order updates meet it."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes

from app.web import serving_webhook
from bot import log_privacy
from bot.clock import Clock, clock_for
from bot.config import SUPPORTED_LANGUAGES, Settings
from bot.i18n import Translator
from bot.persistence import DatabasePersistence
from bot.rate_limiter import WijkhulpRateLimiter
from bot.runtime import Runtime
from bot.update_order import ChatOrder, ChatOrderProcessor, InboxRequest, OrderedQueue
from db.session import Database
from handlers import (
    actions,
    audit,
    availability,
    coordination,
    figures,
    flood,
    general,
    groups,
    invites,
    jobs,
    meeting_form,
    meetings,
    my_requests,
    offers,
    onboarding,
    once,
    privacy,
    profile,
    request_form,
    workers,
)
from handlers.commands import command_menu
from handlers.context import DISPATCHER_KEY, RUNTIME_KEY, BotApplication, BotContext, commit_before_telegram
from handlers.dispatch import Dispatcher, begin_run, end_run_quietly
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
    application_class: type[Application[Any, Any, Any, Any, Any, Any]] = once.OnceApplication,
) -> BotApplication:
    """Build the bot. The database must be migrated before `initialize()` (the CLI does it), because PTB
    loads the persisted conversations there."""
    log_privacy.install(settings.telegram_bot_token)
    runtime = Runtime(settings, Database(settings.database_url), clock or clock_for(settings.clock_offset_seconds))

    async def post_init(application: BotApplication) -> None:
        runtime.bot_username = application.bot.username
        await begin_run(runtime)  # before the first pass: it may take over what the last run left claimed
        dispatcher = Dispatcher(runtime, application.bot)
        application.bot_data[DISPATCHER_KEY] = dispatcher
        await set_command_menus(application, settings)
        await once.remember_newest_handled(application)
        jobs.schedule(application, settings)
        log.info("bot %s ready", application.bot.id)

    async def post_shutdown(application: BotApplication) -> None:
        puller = application.bot_data.get(workers.PULLER_KEY)
        if isinstance(puller, workers.InboxPuller):  # every update in hand is handled now: let the claims go
            await puller.stop()
        dispatcher = application.bot_data.get(DISPATCHER_KEY)
        await end_run_quietly(runtime, dispatcher if isinstance(dispatcher, Dispatcher) else None)
        await runtime.database.dispose()

    # Updates of different people side by side, each chat's in order, kept in the inbox until handled; after
    # each, what it changed in PTB's state and that it was handled are saved in one transaction (OnceApplication).
    order = ChatOrder()
    queue = OrderedQueue(order)
    builder = (
        ApplicationBuilder()
        .application_class(application_class)
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_base_file_url)
        .context_types(ContextTypes(context=BotContext))
        .persistence(DatabasePersistence(lambda: runtime.database))
        .rate_limiter(
            WijkhulpRateLimiter(
                before_call=commit_before_telegram,
                shared_pace=workers.shared_pace(runtime) if settings.multi_worker else None,
            )
        )
        .update_queue(queue)
        .concurrent_updates(ChatOrderProcessor(order, settings.concurrent_updates))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    if settings.webhook_url:  # app/web.py puts each update in the inbox and the queue; no Updater
        builder = builder.updater(None)
    else:
        builder = builder.get_updates_request(InboxRequest(once.inbox_keeper(runtime), queue, connection_pool_size=1))
    application: BotApplication = builder.build()
    application.bot_data[RUNTIME_KEY] = runtime

    # Before anything else: a flooding person's excess updates are dropped here, cheaply.
    application.add_handler(flood.build(), group=flood.FLOOD_GROUP)
    # Then an update handled before a crash, and delivered again, goes no further.
    application.add_handler(once.build_skip(), group=once.SKIP_GROUP)
    if settings.multi_worker:  # the step before may have been handled by another worker: read the state again
        application.add_handler(workers.build_refresh(), group=workers.REFRESH_GROUP)
    # One module per feature, then the catch-alls for whatever is left.
    # The conversations come first so that their /annuleer fallback wins while one is running.
    application.add_handlers(request_form.build())
    application.add_handlers(meeting_form.build())
    application.add_handlers(actions.build())
    application.add_handlers(general.build())
    application.add_handlers(onboarding.build())
    application.add_handlers(profile.build())
    application.add_handlers(privacy.build())
    application.add_handlers(invites.build())
    application.add_handlers(offers.build())
    application.add_handlers(my_requests.build())
    application.add_handlers(availability.build())
    application.add_handlers(coordination.build())
    application.add_handlers(audit.build())
    application.add_handlers(figures.build())
    application.add_handlers(groups.build())
    application.add_handlers(meetings.build())
    application.add_handlers(general.build_fallbacks())
    application.add_error_handler(on_error)
    return application


def run(settings: Settings) -> None:
    """Long polling, or webhooks when WEBHOOK_URL is set, until Ctrl-C or SIGTERM."""
    application = build_application(settings)
    if settings.webhook_url:
        asyncio.run(run_webhook(application))
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES)


@asynccontextmanager
async def started(application: BotApplication) -> AsyncIterator[BotApplication]:
    """What run_polling does around polling, for webhook mode: initialize, post_init, start; then stop,
    post_shutdown, shutdown."""
    await application.initialize()
    try:
        assert application.post_init is not None
        await application.post_init(application)
        await application.start()
        try:
            yield application
        finally:
            await application.stop()
            assert application.post_shutdown is not None
            await application.post_shutdown(application)
    finally:
        await application.shutdown()


async def run_webhook(application: BotApplication) -> None:
    """Serve webhooks until SIGTERM or SIGINT. The webhook stays registered at stop, so Telegram keeps what
    arrives meanwhile for the next start."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    host, port = application.bot_data[RUNTIME_KEY].settings.webhook_host_port
    async with started(application), serving_webhook(application, host, port):
        await stop.wait()
