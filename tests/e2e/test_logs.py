"""The logs of a realistic morning hold ids and event names: no message text, no names, no phone numbers, no token.

Every logger runs at DEBUG here (more than production's INFO), so a library that logs what it holds is caught.
"""

from __future__ import annotations

import logging
import re

import pytest

from db.models import Role
from tests.e2e.meetings_helpers import plan
from tests.e2e.requests_helpers import post
from tests.harness import running_bot
from tests.support import FakeClock
from tgserver.server import TelegramServer

# Shaped like a real token, so that it would also be recognised without knowing it.
TOKEN = "7012345678:AAHk3xQp9ZtLmNoPqRsTuVwXyZ0123456789"
LOGGERS = ("", "bot", "handlers", "db", "telegram", "httpx", "httpcore", "sqlalchemy", "aiosqlite", "apscheduler")
FORMAT = logging.Formatter("%(levelname)s %(name)s: %(message)s")
PRIVATE = [
    TOKEN,
    TOKEN.split(":")[1],
    "Annemarie",
    "Verhoeven",
    "Bartholomeus",
    "Kwakkelstein",
    "Coriandra",
    "87654321",
    "8765 4321",
    "Sleutel ligt",
    "achteringang",
    "Kerstrooster",
    "Wijkoverleg",
    "Huisartsen Caberg",
]


async def test_no_text_names_phone_or_token_in_any_log_line(
    caplog: pytest.LogCaptureFixture, database_url: str, clock: FakeClock
) -> None:
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    server = TelegramServer(token=TOKEN)
    await server.start()
    try:
        async with running_bot(server, database_url, clock) as bot:
            anna = server.user(first_name="Annemarie", last_name="Verhoeven", language_code="nl")
            bart = server.user(first_name="Bartholomeus", last_name="Kwakkelstein", language_code="nl")
            corrie = server.user(first_name="Coriandra", language_code="nl")
            await bot.join(anna, "caberg", Role.PRAKTIJKMANAGER)
            await bot.join(bart, "malberg", Role.DOKTERSASSISTENT)
            await bot.make_coordinator(corrie)
            await anna.send("/profiel")
            await anna.press(anna.last(), "Deel mijn telefoonnummer")
            await anna.share_contact("+31 6 8765 4321")
            await anna.send("/verzoek")
            await anna.send("/annuleer")
            request_id = await post(bot, anna, note="Sleutel ligt bij de achteringang")
            await bot.dispatch()
            await bart.press(bart.last(), "Ik kan alles")
            await bot.dispatch()
            await anna.press(anna.last(), "Accepteren")
            await bot.dispatch()
            assert "8765" in bart.last().text or "87654321" in bart.last().text, "the helper sees the number"
            await plan(bot, corrie, title="Wijkoverleg Noordwest", agenda="1. Kerstrooster\n2. Griepprik")
            await bot.dispatch()
            invitation = next(m for m in bart.messages() if m.text.startswith("📅 Uitnodiging"))
            await bart.press(invitation, "Ja")
            await corrie.send("/audit")
            await anna.send("een vraag die de bot niet begrijpt")
            # The privacy rights: the export carries names and the phone; the log must not.
            await bart.send("/privacy")
            await bart.send("/mijngegevens")
            await bart.send("/verwijdermij")
            await bart.press(bart.last(), "Ja, verwijder mijn gegevens")
            await bot.dispatch()
    finally:
        await server.stop()
    server.check_refusals()

    lines = [FORMAT.format(record) for record in caplog.records]
    assert len(lines) > 50
    names = {record.name.split(".")[0] for record in caplog.records}
    assert {"telegram", "httpx", "handlers"} <= names, names
    assert any(f"id={request_id}" in line or f"request_id={request_id}" in line for line in lines), "ids are kept"
    for line in lines:
        for private in PRIVATE:
            assert private not in line, f"{private!r} leaked: {line[:300]}"
        assert not re.search(r"\+?31\s?6\s?\d{4}|(?<!\d)06[- ]?\d{8}", line), f"a phone number leaked: {line[:300]}"
