"""`python -m bot`: run the bot and the coordinator's set-up commands."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, OperationalError
from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TelegramError

from bot import log_privacy
from bot.clock import clock_for
from bot.config import Settings
from bot.file_modes import make_private, warn_if_exposed
from bot.i18n import Translator
from bot.services.figures import month_period
from bot.services.figures_chart import fill_rate_png
from bot.services.figures_pdf import pdf_pages, report_pdf
from bot.services.figures_report import EXCEL_STYLES, coordinator_view, lending_csv, render_csv, report_rows
from bot.services.invites import InviteError, create_invite
from bot.services.meeting_import import MeetingImportReport, import_meetings, parse_meetings, region_wijken
from bot.services.members import UnknownRegionError, add_coordinator, resolve_region
from bot.services.network import NetworkFileError, find_practice, import_network, parse_network
from db.migrate import upgrade_to_head
from db.models import INVITABLE_ROLES, Role, Wijk
from db.session import Database, DatabaseUrlError, parse_database_url, sqlite_file

# Starts the bot: app.wiring.run, above handlers. The entry point (bot/__main__.py) hands it in, so that
# bot.cli imports nothing above bot.
RunBot = Callable[[Settings], None]


@dataclass(frozen=True)
class PlaygroundOptions:
    """Where the playground listens and keeps its own database."""

    host: str
    port: int
    database: Path
    token_set: bool  # the bot could run on Telegram: say so, rather than "no token"
    open_browser: bool


RunPlayground = Callable[[PlaygroundOptions], int]


class CliError(Exception):
    """A problem the user can fix; printed as one line, exit status 2."""


def configure_logging(level: str) -> None:
    """Plain log lines; httpx logs request URLs, which contain the token, so it stays quiet."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=level)
    log_privacy.install()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    # SQL and its parameters (notes, phone numbers) stay out of the log, also at DEBUG.
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)
    # PTB's DEBUG output holds the token (in the API URL), whole updates and call parameters: never below INFO.
    logging.getLogger("telegram").setLevel(max(logging.INFO, logging.getLevelName(level)))
    if level != "DEBUG":
        logging.getLogger("alembic").setLevel(logging.WARNING)


def load_settings() -> Settings:
    """Read the settings, turning validation errors into one clear line."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        raise CliError(f"invalid settings: {problems}") from None


async def open_database(settings: Settings) -> Database:
    """Connect and migrate, or fail with one line that names the problem (never the password)."""
    try:
        database = Database(settings.database_url)
    except DatabaseUrlError as exc:
        raise CliError(f"DATABASE_URL is not usable: {exc}") from None
    except Exception as exc:  # SQLAlchemy raises several types for malformed URLs and missing drivers
        raise CliError(f"DATABASE_URL is not usable: {type(exc).__name__}") from None
    try:
        await upgrade_to_head(database.engine)
    except (OperationalError, DBAPIError, OSError) as exc:
        await database.dispose()
        reason = type(getattr(exc, "orig", None) or exc).__name__
        raise CliError(f"cannot reach the database in DATABASE_URL ({reason}); is it running and reachable?") from None
    return database


async def with_database(settings: Settings, work: Callable[[Database], Awaitable[int]]) -> int:
    """Open the database, do the work, close it."""
    database = await open_database(settings)
    try:
        return await work(database)
    finally:
        await database.dispose()


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    """Start the bot (long polling, or webhooks when WEBHOOK_URL is set); migrations run first."""
    if not settings.telegram_bot_token:
        raise CliError(
            "TELEGRAM_BOT_TOKEN is needed: create a bot with @BotFather in Telegram and put its token "
            "in the environment or in .env"
        )
    if settings.public_base_url and not settings.webhook_url:
        raise CliError(
            "PUBLIC_BASE_URL needs webhook mode (WEBHOOK_URL): with polling no web server runs to serve the "
            "calendar feeds its links would point at"
        )
    asyncio.run(with_database(settings, lambda _db: _ok()))
    warn_if_exposed(parse_database_url(settings.database_url))
    asyncio.run(check_telegram(settings))
    run_bot: RunBot = args.run_bot
    run_bot(settings)
    return 0


async def check_telegram(settings: Settings) -> None:
    """Ask Telegram who we are before starting, so that a bad token or address is one clear line."""
    try:
        async with Bot(settings.telegram_bot_token, base_url=settings.telegram_api_base_url) as bot:
            await bot.get_me()
    except InvalidToken:
        raise CliError("Telegram refused TELEGRAM_BOT_TOKEN: check it with @BotFather (/mybots, API Token)") from None
    except NetworkError as exc:
        raise CliError(f"cannot reach Telegram at TELEGRAM_API_BASE_URL ({type(exc).__name__})") from None


async def _ok() -> int:
    return 0


def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> int:
    """Bring the schema up to date."""
    asyncio.run(with_database(settings, lambda _db: _ok()))
    print("database is up to date")
    return 0


def print_problems(t: Translator, path: Path, refused: NetworkFileError) -> None:
    """Each problem of a refused file on its own line (file:line: what is wrong), then how many there were."""
    for problem in refused.problems:
        where = f"{path}:{problem.line}" if problem.line else str(path)
        print(f"{where}: {t.gettext(problem.message).format(**problem.params)}", file=sys.stderr)
    count = len(refused.problems)
    summary = t.ngettext(
        "Refused: nothing was imported ({count} problem).", "Refused: nothing was imported ({count} problems).", count
    )
    print(summary.format(count=count), file=sys.stderr)


def cmd_import_network(settings: Settings, args: argparse.Namespace) -> int:
    """Validate the whole file, then import it in one transaction."""
    t = Translator(settings.default_language, settings.zone)
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    try:
        spec = parse_network(text)
    except NetworkFileError as exc:
        print_problems(t, path, exc)
        return 1

    async def work(database: Database) -> int:
        async with database.session() as session, session.begin():
            report = await import_network(session, spec)
        print(
            t.gettext(
                "Imported region {code}: {created} created, {updated} updated, {deactivated} no longer "
                "in the file, {unchanged} unchanged."
            ).format(
                code=spec.code,
                created=report.created + int(report.region_created),
                updated=report.updated,
                deactivated=report.deactivated,
                unchanged=report.unchanged,
            )
        )
        return 0

    return asyncio.run(with_database(settings, work))


async def bot_username(settings: Settings) -> str:
    """The bot's @username: from the settings, else asked from Telegram with the token."""
    if settings.telegram_bot_username:
        return settings.telegram_bot_username.lstrip("@")
    if not settings.telegram_bot_token:
        raise CliError("set TELEGRAM_BOT_USERNAME (or TELEGRAM_BOT_TOKEN, to ask Telegram) to make invite links")
    try:
        async with Bot(settings.telegram_bot_token, base_url=settings.telegram_api_base_url) as bot:
            return bot.username
    except TelegramError as exc:
        raise CliError(
            f"cannot ask Telegram for the bot's name ({type(exc).__name__}); set TELEGRAM_BOT_USERNAME"
        ) from None


def print_import_report(t: Translator, path: Path, report: MeetingImportReport, *, cancel_missing: bool) -> None:
    """The counts, each warning (file:line: what), and the imported meetings the file no longer has."""
    for warning in report.warnings:
        where = f"{path}:{warning.line}" if warning.line else str(path)
        text = t.gettext(warning.message).format(**warning.params)
        print(t.gettext("{where}: warning: {text}").format(where=where, text=text), file=sys.stderr)
    print(
        t.gettext("Imported meetings: {created} created, {updated} updated, {unchanged} unchanged.").format(
            created=report.created, updated=report.updated, unchanged=report.unchanged
        )
    )
    if not report.missing:
        return
    print(
        t.gettext("Not in the file any more:")
        if not cancel_missing
        else t.gettext("Not in the file any more, cancelled:")
    )
    for gone in report.missing:
        line = t.ngettext(
            "  {key}: {title} ({count} date ahead, the first {day})",
            "  {key}: {title} ({count} dates ahead, the first {day})",
            gone.upcoming,
        )
        print(line.format(key=gone.key, title=gone.title, count=gone.upcoming, day=t.format_moment(gone.first)))
    if cancel_missing:
        told = t.ngettext(
            "{dates} date cancelled; invitees told: {told}.",
            "{dates} dates cancelled; invitees told: {told}.",
            report.cancelled_dates,
        )
        print(told.format(dates=report.cancelled_dates, told=report.told))
    else:
        print(t.gettext("They are kept; to cancel them and tell the invitees, import again with --cancel-missing."))


def cmd_import_meetings(settings: Settings, args: argparse.Namespace) -> int:
    """Validate the whole meetings file against the region's wijken, then import it in one transaction."""
    t = Translator(settings.default_language, settings.zone)
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None

    async def work(database: Database) -> int:
        now = clock_for(settings.clock_offset_seconds).now()
        async with database.session() as session, session.begin():
            region = await resolve_region(session, args.region)
            try:
                meetings = parse_meetings(text, await region_wijken(session, region), now.astimezone(t.zone).date())
                report = await import_meetings(
                    session,
                    now=now,
                    region=region,
                    meetings=meetings,
                    allow_past=args.allow_past,
                    cancel_missing=args.cancel_missing,
                )
            except NetworkFileError as exc:  # raised before anything is written
                print_problems(t, path, exc)
                return 1
        print_import_report(t, path, report, cancel_missing=args.cancel_missing)
        return 0

    return asyncio.run(with_database(settings, work))


def cmd_invite(settings: Settings, args: argparse.Namespace) -> int:
    """Print a deep link for a practice and role, or for the student pool."""
    role = Role(args.role)

    async def work(database: Database) -> int:
        username = await bot_username(settings)
        async with database.session() as session, session.begin():
            region = await resolve_region(session, args.region)
            practice = None
            if args.practice:
                practice = await find_practice(session, region.id, args.practice)
                if practice is None:
                    raise CliError(f"unknown practice '{args.practice}' in region {region.code}")
            invite = await create_invite(
                session,
                now=clock_for(settings.clock_offset_seconds).now(),
                region=region,
                practice=practice,
                role=role,
                uses=args.uses,
                expires_days=settings.invite_expires_days if args.expires_days is None else args.expires_days,
            )
        print(f"https://t.me/{username}?start={invite.code}")
        return 0

    return asyncio.run(with_database(settings, work))


def cmd_add_coordinator(settings: Settings, args: argparse.Namespace) -> int:
    """Make a Telegram user a coordinator of the region."""

    async def work(database: Database) -> int:
        async with database.session() as session, session.begin():
            region = await resolve_region(session, args.region)
            _member, changed = await add_coordinator(
                session,
                now=clock_for(settings.clock_offset_seconds).now(),
                telegram_user_id=args.telegram_user_id,
                region=region,
                language=settings.default_language,
            )
        print(f"{args.telegram_user_id} is {'now' if changed else 'already'} a coordinator of {region.code}")
        return 0

    return asyncio.run(with_database(settings, work))


def parse_month(text: str) -> tuple[int, int]:
    """YYYY-MM, as argparse's type."""
    try:
        year, month = (int(part) for part in text.split("-"))
    except ValueError:
        raise argparse.ArgumentTypeError("use YYYY-MM, e.g. 2026-11") from None
    if not 1 <= month <= 12 or year < 2000:
        raise argparse.ArgumentTypeError("use YYYY-MM, e.g. 2026-11")
    return year, month


def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    """Write a month's figures as CSV (a row for the region, each wijk and each practice, or one wijk's), a chart,
    who helped whom, or the full report as PDF."""
    t = Translator(args.language or settings.default_language, settings.zone)
    year, month = args.month
    out = Path(args.out)

    now = clock_for(settings.clock_offset_seconds).now()

    async def work(database: Database) -> int:
        async with database.session() as session:
            region = await resolve_region(session, args.region)
            wijk_id = None
            if args.wijk:
                wijk_id = await session.scalar(
                    select(Wijk.id).where(Wijk.region_id == region.id, Wijk.code == args.wijk)
                )
                if wijk_id is None:
                    raise CliError(f"unknown wijk '{args.wijk}' in region {region.code}")
            period = month_period(year, month, ZoneInfo(region.timezone))
            if args.format == "png":
                top, below = await coordinator_view(session, region_id=region.id, period=period, wijk_id=wijk_id)
                title = t.gettext("Fill rate, {period}").format(
                    period=format_date(period.first_day, "MMMM y", locale=t.language)
                )
                png = fill_rate_png(
                    [(shown.unit.name, shown.figures) for shown in top + below],
                    title=title,
                    axis_label=t.gettext("day-parts filled (%)"),
                    decimal=EXCEL_STYLES[args.excel_style].decimal,
                )
                if png is None:
                    raise CliError("no chart: nothing was asked that month, or matplotlib is not installed")
                written.append(png)
                return len(top) + len(below)
            if args.format == "pdf":
                written.append(
                    await report_pdf(session, region_id=region.id, period=period, wijk_id=wijk_id, t=t, now=now)
                )
                return -1
            if args.format == "lending":
                style = EXCEL_STYLES[args.excel_style]
                text = await lending_csv(
                    session, region_id=region.id, period=period, translate=t.gettext, style=style, wijk_id=wijk_id
                )
                written.append(text.encode("utf-8-sig"))
                return text.count("\r\n") - 1
            rows = await report_rows(
                session, region_id=region.id, period=period, translate=t.gettext, wijk_id=wijk_id, now=now
            )
        # utf-8-sig: Excel reads the names' accents right only with the byte-order mark.
        written.append(render_csv(rows, t.gettext, EXCEL_STYLES[args.excel_style]).encode("utf-8-sig"))
        return len(rows)

    written: list[bytes] = []
    count = asyncio.run(with_database(settings, work))
    try:
        out.write_bytes(written[0])
    except OSError as exc:
        raise CliError(f"cannot write {out}: {exc.strerror}") from None
    if args.format == "pdf":
        print(f"{out}: {pdf_pages(written[0])} pages")
    else:
        print(f"{out}: {count} bars" if args.format == "png" else f"{out}: {count} rows")
    return 0


def cmd_playground(settings: Settings, args: argparse.Namespace) -> int:
    """The real bot against a Telegram stand-in, with a page to try it in: no token needed."""
    database = Path(args.database or settings.playground_database)
    try:
        production = sqlite_file(parse_database_url(settings.database_url))
    except DatabaseUrlError:  # the playground does not use it; `run` will say what is wrong with it
        production = None
    if production is not None and production.resolve() == database.resolve():
        raise CliError("the playground starts its database afresh: give it a file other than DATABASE_URL's")
    run_playground: RunPlayground | None = args.run_playground
    if run_playground is None:
        raise CliError("the playground is not available in this build")
    port = settings.playground_port if args.port is None else args.port
    # The browser opens for a person at a terminal, never for a test or a service.
    open_browser = not args.no_browser and sys.stdout.isatty()
    options = PlaygroundOptions(
        args.host or settings.playground_host, port, database, bool(settings.telegram_bot_token), open_browser
    )
    return run_playground(options)


def parser(run_bot: RunBot, run_playground: RunPlayground | None = None) -> argparse.ArgumentParser:
    """The command line; `run` starts the bot with run_bot, `playground` the playground with run_playground."""
    top = argparse.ArgumentParser(prog="python -m bot", description="Wijkhulp: the Telegram bot and its set-up.")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("run", help="start the bot (polling; webhooks with WEBHOOK_URL); migrates first").set_defaults(
        handler=cmd_run, run_bot=run_bot
    )
    play = sub.add_parser("playground", help="try the bot in a browser, without a token (a Telegram stand-in)")
    play.add_argument("--port", type=int, default=None, help="port of the page (default 8080, PLAYGROUND_PORT)")
    play.add_argument(
        "--host", default=None, help="address to listen on (default 127.0.0.1: this computer only; PLAYGROUND_HOST)"
    )
    play.add_argument("--database", default=None, help="its own SQLite file (default data/playground.sqlite3)")
    play.add_argument("--no-browser", action="store_true", help="do not open the page in a browser")
    play.set_defaults(handler=cmd_playground, run_playground=run_playground)
    sub.add_parser("migrate", help="bring the database schema up to date").set_defaults(handler=cmd_migrate)
    imp = sub.add_parser("import-network", help="import or re-import the regional network (YAML)")
    imp.add_argument("file")
    imp.set_defaults(handler=cmd_import_network)
    meet = sub.add_parser("import-meetings", help="import or re-import a schedule of wijk meetings (YAML)")
    meet.add_argument("file")
    meet.add_argument("--region", help="region code, if the database holds more than one")
    meet.add_argument(
        "--allow-past", action="store_true", help="import entries whose dates are all in the past (refused otherwise)"
    )
    meet.add_argument(
        "--cancel-missing",
        action="store_true",
        help="cancel the upcoming dates of imported meetings no longer in the file, telling the invitees "
        "(otherwise they are only listed)",
    )
    meet.set_defaults(handler=cmd_import_meetings)
    inv = sub.add_parser("invite", help="print an invitation link for a practice and role")
    inv.add_argument("--practice", help="practice code (leave out for medisch-student)")
    inv.add_argument("--role", required=True, choices=[r.value for r in INVITABLE_ROLES])
    inv.add_argument("--uses", type=int, default=1, help="how many people may use it (default 1)")
    inv.add_argument("--expires-days", type=int, default=None, help="days until it expires (default 14)")
    inv.add_argument("--region", help="region code, if the database holds more than one")
    inv.set_defaults(handler=cmd_invite)
    coord = sub.add_parser("add-coordinator", help="make a Telegram user a coordinator of the region")
    coord.add_argument("telegram_user_id", type=int, metavar="TELEGRAM_USER_ID")
    coord.add_argument("--region", help="region code, if the database holds more than one")
    coord.set_defaults(handler=cmd_add_coordinator)
    rep = sub.add_parser("report", help="write a month's figures (region, wijken, practices) to a file")
    rep.add_argument("--month", required=True, type=parse_month, help="the month, YYYY-MM")
    rep.add_argument("--wijk", help="wijk code: that wijk and its practices only")
    rep.add_argument("--language", choices=["nl", "en"], default=None, help="of the headers (default: the bot's)")
    rep.add_argument(
        "--format",
        choices=["csv", "png", "lending", "pdf"],
        default="csv",
        help="csv: the table; png: a chart of the fill rate; lending: who helped whom (wijken, or a wijk's "
        "practices), as CSV; pdf: the full report (key figures, chart, units, who helps whom, meetings)",
    )
    rep.add_argument(
        "--excel-style",
        choices=sorted(EXCEL_STYLES),
        default="nl",
        help="nl: semicolons and decimal commas (Dutch Excel, the default); en: commas and points",
    )
    rep.add_argument("--out", required=True, help="the file to write")
    rep.add_argument("--region", help="region code, if the database holds more than one")
    rep.set_defaults(handler=cmd_report)
    return top


def main(run_bot: RunBot, argv: list[str] | None = None, run_playground: RunPlayground | None = None) -> int:
    """Parse, load settings, dispatch; user errors are one line on stderr and exit status 2."""
    args = parser(run_bot, run_playground).parse_args(argv)
    make_private()
    try:
        settings = load_settings()
        configure_logging(settings.log_level)
        return int(args.handler(settings, args))
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except InviteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except UnknownRegionError as exc:
        print(f"error: unknown or ambiguous region; known: {exc} (use --region CODE)", file=sys.stderr)
        return 2
