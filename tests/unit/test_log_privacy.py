"""Log records from libraries lose their arguments (unless plainly safe); the token goes from every record."""

from __future__ import annotations

import logging

from bot.log_privacy import REDACTED, scrub


def record(name: str, msg: object, *args: object) -> logging.LogRecord:
    return logging.LogRecord(name, logging.DEBUG, __file__, 1, msg, args or None, None)


def test_library_arguments_are_replaced_unless_plain() -> None:
    found = scrub(record("telegram.Bot", "Calling `%s` with `%s`", "sendMessage", {"text": "Anna, bel me"}))
    assert found.getMessage() == f"Calling `sendMessage` with `{REDACTED}`"
    found = scrub(record("httpx", 'HTTP Request: %s %s "%s %d"', "POST", "http://x/bot1:abc/getMe", "HTTP/1.1", 200))
    assert found.getMessage() == f'HTTP Request: {REDACTED} {REDACTED} "{REDACTED} 200"'
    assert scrub(record("telegram.ext.Application", {"update": 1})).getMessage() == REDACTED
    assert scrub(record("aiosqlite", "executing %s", "Jansen")).getMessage() == f"executing {REDACTED}"


def test_our_own_records_keep_their_arguments_but_lose_a_token() -> None:
    found = scrub(record("handlers.offers", "offer.accepted id=%s request=%s", 12, 7))
    assert found.getMessage() == "offer.accepted id=12 request=7"
    found = scrub(record("bot.cli", "url %s", "https://api.telegram.org/bot7012345678:AAHk3xQp9ZtLmNoPqRsTuVw/getMe"))
    assert "7012345678" not in found.getMessage() and REDACTED in found.getMessage()


def test_a_record_that_does_not_format_is_kept_as_it_is() -> None:
    assert scrub(record("bot", "two %s %s", 1)).getMessage() == "two %s %s"
