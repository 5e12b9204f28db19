"""/cijfers through the real bot: a request's life, then the figures a coordinator and a practice manager get."""

from __future__ import annotations

import csv
import importlib.util
import io
import sqlite3
from datetime import UTC, datetime

import pytest

from bot.services import figures_pdf
from handlers import figures as figures_handlers
from handlers.jobs import run_monthly_reports
from tests.e2e.requests_helpers import noordwest, post
from tests.harness import Harness, running_bot
from tests.pdf_text import pdf_text
from tests.support import FakeClock
from tgserver.client import SimUser
from tgserver.server import TelegramServer
from tgserver.state import ChatMessage


def last_document(user: SimUser, suffix: str) -> ChatMessage:
    """The last file of this kind the bot sent."""
    return next(m for m in reversed(user.messages()) if m.document is not None and m.document.filename.endswith(suffix))


def csv_rows(user: SimUser) -> list[dict[str, str]]:
    """The last CSV the bot sent, parsed as Dutch Excel reads it."""
    message = last_document(user, ".csv")
    assert message.document is not None and message.document.filename == "wijkhulp-cijfers-2026-11.csv"
    return list(csv.DictReader(io.StringIO(message.document.content.decode("utf-8-sig")), delimiter=";"))


def documents(user: SimUser) -> int:
    """How many files the bot sent the user."""
    return sum(1 for m in user.messages() if m.document is not None)


async def test_coordinator_and_manager_see_the_month(bot: Harness) -> None:
    people = await noordwest(bot)
    anna, carol = people.anna, people.carol
    await post(bot, anna, days=("Morgen",), dayparts=("Ochtend",))
    await bot.dispatch()
    await carol.press(carol.last(), "Ik kan alles")
    await bot.dispatch()
    await anna.press(next(m for m in anna.messages() if m.text.startswith("Aanbod")), "Accepteren")
    await bot.dispatch()

    cor = bot.server.user(first_name="Cor", language_code="nl")
    await bot.make_coordinator(cor)
    await cor.send("/cijfers")
    assert cor.last().button_texts == ["Deze maand", "Vorige maand", "Afgelopen 12 maanden"]
    await cor.press(cor.last(), "Deze maand")
    await cor.press(cor.last(), "De hele regio")
    summary = next(m for m in reversed(cor.messages()) if m.text.startswith("Cijfers, november 2026"))
    assert "Maastricht-Heuvelland\n1 verzoek: 1 van 1 dagdelen ingevuld (100%), 0 niet ingevuld" in summary.text
    # The summary with two buttons, and the chart; the files only when asked for.
    assert summary.button_texts == ["CSV (Excel)", "Volledig rapport (PDF)"] and documents(cor) == 0
    if importlib.util.find_spec("matplotlib") is not None:  # charts need it; the bot runs without
        from PIL import Image

        chart = next(m for m in reversed(cor.messages()) if m.photo is not None)
        assert chart.photo is not None
        image = Image.open(io.BytesIO(chart.photo.content))
        image.verify()
        assert image.format == "PNG"
    await cor.press(summary, "CSV (Excel)")
    rows = csv_rows(cor)
    # The whole table, as `bot report --format csv` writes it: region, wijken, practices, role, urgency.
    assert [row["niveau"] for row in rows[:2]] == ["regio", "wijk"] and len(rows) == 1 + 9 + 32 + 1 + 1
    noordwest_row = next(row for row in rows if row["code"] == "noordwest")
    assert (noordwest_row["verzoeken"], noordwest_row["dagdelen ingevuld"], noordwest_row["invulgraad (%)"]) == (
        "1",
        "1",
        "100,0",
    )
    caberg = next(row for row in rows if row["code"] == "caberg")
    assert (caberg["dagdelen ontvangen"], caberg["dagdelen gegeven"]) == ("1", "0")
    await cor.press(summary, "Volledig rapport (PDF)")
    report = last_document(cor, ".pdf")
    assert report.document is not None and report.document.filename == "wijkhulp-rapport-2026-11.pdf"
    assert report.document.content.startswith(b"%PDF") and documents(cor) == 2

    await anna.send("/cijfers")
    await anna.press(anna.last(), "Deze maand")
    own = next(m for m in reversed(anna.messages()) if m.text.startswith("Cijfers, november 2026"))
    assert "Huisartsen Caberg" in own.text and "Maastricht Noordwest" in own.text
    # Her own row of who helps whom names the practice whose help she accepted, and no other.
    assert "Wie helpt wie: uw praktijk\nUitgeleend aan: –\nOntvangen van:\n• Praktijk Pottenberg: 1 dagdeel" in own.text
    assert "Malberg" not in own.text and "Daalhof" not in own.text  # other practices are never named
    assert own.button_texts == ["CSV (Excel)", "Volledig rapport (PDF)"]
    await anna.press(own, "CSV (Excel)")
    assert [row["code"] for row in csv_rows(anna)] == ["caberg", "noordwest", "mh"]
    await anna.press(own, "Volledig rapport (PDF)")
    pdf = last_document(anna, ".pdf")
    assert pdf.document is not None and pdf.document.content.startswith(b"%PDF")
    text = pdf_text(pdf.document.content)
    assert "Pottenberg" in text and "Malberg" not in text and "Daalhof" not in text
    # A forged scope gives a manager nothing more than her own view, for the figures and for the files.
    await anna.press_data(anna.last(), "v1:fg:m0:w1")
    assert "Malberg" not in anna.last().text
    await anna.press_data(anna.last(), "v1:ff:csv:202611:r")
    assert [row["code"] for row in csv_rows(anna)] == ["caberg", "noordwest", "mh"]
    await anna.press_data(anna.last(), "v1:ff:pdf:202611:w1")
    forged = last_document(anna, ".pdf")
    assert forged.document is not None and pdf_text(forged.document.content) == text
    before = documents(anna)
    await anna.press_data(anna.last(), "v1:ff:pdf:209913:r")  # not a month
    assert documents(anna) == before

    await people.bob.send("/cijfers")
    assert people.bob.last().text == "Cijfers zijn voor coördinatoren, praktijkmanagers en huisartsen."


def reports(user: SimUser) -> list[ChatMessage]:
    """The monthly reports the user got."""
    return [m for m in user.messages() if m.document is not None and "maandrapport" in m.document.filename]


async def test_monthly_report_once_across_a_restart_and_not_for_a_quiet_month(
    tg_server: TelegramServer, database_url: str, clock: FakeClock
) -> None:
    async with running_bot(tg_server, database_url, clock) as first:
        people = await noordwest(first)
        await post(first, people.anna, days=("Morgen",), dayparts=("Ochtend",))
        cor = first.server.user(first_name="Cor", language_code="nl")
        await first.make_coordinator(cor)
        await cor.send("/start")  # a bot cannot write first
        runtime = first.app.bot_data["runtime"]
        # Tuesday 1 December 2026 is the first working day; 08:59 in Amsterdam is too early.
        clock.current = datetime(2026, 12, 1, 7, 59, tzinfo=UTC)
        assert await run_monthly_reports(runtime) == []
        clock.current = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
        assert await run_monthly_reports(runtime) == [1]
    async with running_bot(tg_server, database_url, clock) as second:
        clock.advance(minutes=5)
        assert await run_monthly_reports(second.app.bot_data["runtime"]) == []
        await second.dispatch()
        [report] = reports(cor)
        assert report.caption is not None and report.caption.startswith("Maandrapport, november 2026")
        assert "1 verzoek: 0 van 1 dagdelen ingevuld" in report.caption
        # The full report is the document (with its chart), once; the CSV is a button.
        assert report.document is not None
        assert report.document.filename == "wijkhulp-maandrapport-2026-11.pdf"
        assert report.document.content.startswith(b"%PDF") and "Maastricht-Heuvelland" in pdf_text(
            report.document.content
        )
        assert report.button_texts == ["CSV (Excel)"]
        await cor.press(report, "CSV (Excel)")
        rows = csv_rows(cor)
        assert rows[0]["code"] == "mh" and rows[0]["verzoeken"] == "1" and len(rows) == 1 + 9 + 32 + 1 + 1
        # Friday 1 January 2027 is New Year's Day: December (nothing asked) is recorded on Monday the 4th, unsent.
        clock.current = datetime(2027, 1, 1, 10, 0, tzinfo=UTC)
        assert await run_monthly_reports(second.app.bot_data["runtime"]) == []
        clock.current = datetime(2027, 1, 4, 8, 30, tzinfo=UTC)
        assert await run_monthly_reports(second.app.bot_data["runtime"]) == [1]
        await second.dispatch()
        assert len(reports(cor)) == 1


async def test_pdf_is_drawn_without_holding_sqlites_write_lock(
    bot: Harness, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A region's report takes a second to draw: drawn inside a writer's transaction it would hold SQLite's one
    write lock, and every other press would wait behind it. (Found in review: it did.)"""
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's write lock")
    path = database_url.removeprefix("sqlite:///")
    probes: list[bool] = []
    real = figures_pdf.render_pdf

    def probing(data: figures_pdf.ReportData, t: object) -> bytes:
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            probes.append(False)
        except sqlite3.OperationalError:
            probes.append(True)  # database is locked
        finally:
            other.close()
        return real(data, t)  # type: ignore[arg-type]

    monkeypatch.setattr(figures_handlers, "render_pdf", probing)
    people = await noordwest(bot)
    await post(bot, people.anna, days=("Morgen",), dayparts=("Ochtend",))
    await bot.dispatch()
    cor = bot.server.user(first_name="Cor", language_code="nl")
    await bot.make_coordinator(cor)
    await cor.send("/cijfers")
    await cor.press(cor.last(), "Deze maand")
    await cor.press(cor.last(), "De hele regio")
    summary = next(m for m in reversed(cor.messages()) if m.text.startswith("Cijfers, november 2026"))
    await cor.press(summary, "Volledig rapport (PDF)")
    assert probes == [False], "the PDF was drawn while the press held SQLite's write lock"
