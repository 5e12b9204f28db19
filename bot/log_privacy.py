"""Log records keep ids and event names only: a second line of defence behind the logger levels in bot/cli.py.

Libraries log what they hold: python-telegram-bot at DEBUG logs whole updates and every call's parameters
(message texts, names, phone numbers) and the API URL with the token; httpx logs each request's URL (with the
token) at INFO; aiosqlite logs the statements it runs. Levels keep those quiet in production, but a level is one
setting away from a leak. So every record from those libraries has its arguments replaced, unless they are
plain numbers or short identifiers ("sendMessage", "POST", "HTTP/1.1"), and the token is cut out of every record.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

THIRD_PARTY: Final = ("telegram", "httpx", "httpcore", "sqlalchemy", "aiosqlite", "asyncpg", "apscheduler", "h11")
REDACTED: Final = "<redacted>"
_SAFE_TEXT = re.compile(r"^[A-Za-z_][A-Za-z0-9_./\-]{0,40}$")
# A bot token as BotFather hands it out: the bot's id, a colon, 35 URL-safe characters (tests use shorter ones).
_TOKEN = re.compile(r"[0-9]{3,}:[A-Za-z0-9_\-]{10,}")
_installed: list[Callable[..., logging.LogRecord]] = []
_secrets: set[str] = set()


def _safe(value: object) -> object:
    """The value itself if it cannot carry personal data, else a placeholder."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str) and _SAFE_TEXT.match(value) and not value[:1].isupper():
        return value
    return REDACTED


def scrub_token(text: str) -> str:
    """The text with the configured token, and anything shaped like a bot token, cut out."""
    for secret in _secrets:
        text = text.replace(secret, REDACTED)
    return _TOKEN.sub(REDACTED, text)


def scrub(record: logging.LogRecord) -> logging.LogRecord:
    """Make a record safe to write: library arguments replaced, the token removed, formatted once."""
    if record.name.split(".", 1)[0] in THIRD_PARTY:
        if not isinstance(record.msg, str):
            record.msg = REDACTED
        if isinstance(record.args, Mapping):
            record.args = {key: _safe(value) for key, value in record.args.items()}
        elif record.args:
            record.args = tuple(_safe(value) for value in record.args)
    try:
        message = record.getMessage()
    except (TypeError, ValueError):
        message = str(record.msg)
    record.msg, record.args = scrub_token(message), ()
    return record


def install(token: str = "") -> None:
    """Scrub every log record from now on, at creation, whoever handles it (idempotent); `token` is cut out
    wherever it appears, whatever its shape."""
    if token:
        _secrets.add(token)
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return scrub(previous(*args, **kwargs))

    _installed.append(previous)
    logging.setLogRecordFactory(factory)
