"""`python -m bot report`: a month's figures as CSV, as Dutch (and English) Excel reads it, parsed back."""

from __future__ import annotations

import asyncio
import csv
import importlib.util
import os
from pathlib import Path

import pytest

from db.session import Database
from tests.figures_history import History, build, build_meetings
from tests.pdf_text import pdf_text
from tests.unit.test_cli import run_cli


@pytest.fixture
async def history_url(database_url: str) -> str:
    db = Database(database_url)
    async with db.session() as session, session.begin():
        await build(History(session))
    await db.dispose()
    return database_url


def read(path: Path, delimiter: str) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def test_dutch_excel_style_by_default(history_url: str, tmp_path: Path) -> None:
    out = tmp_path / "november.csv"
    result = run_cli(
        "report", "--month", "2026-11", "--format", "csv", "--out", str(out), env={"DATABASE_URL": history_url}
    )
    assert result.returncode == 0, result.stderr
    rows = read(out, ";")
    assert len(rows) == 1 + 9 + 32 + 2 + 1  # the region, its wijken, its practices, the roles and urgency asked
    assert [(row["niveau"], row["code"], row["verzoeken"]) for row in rows[-3:]] == [
        ("rol", "doktersassistent", "3"),
        ("rol", "huisarts", "1"),
        ("urgentie", "normaal", "4"),
    ]
    region = rows[0]
    assert (region["niveau"], region["code"]) == ("regio", "mh")
    assert (region["verzoeken"], region["dagdelen gevraagd"], region["dagdelen ingevuld"]) == ("4", "8", "4")
    assert region["invulgraad (%)"] == "66,7"
    assert region["eerste aanbod, mediaan (min)"] == "15,0"
    assert region["ingevuld, p90 (min)"] == "180,0"
    assert region["geannuleerd: intern opgelost"] == "1"
    assert (region["ingevuld in ronde 1"], region["ingevuld, ronde onbekend"]) == ("2", "1")
    maasoever = next(row for row in rows if row["code"] == "maasoever")
    assert (maasoever["niveau"], maasoever["dagdelen gegeven"], maasoever["dagdelen ontvangen"]) == (
        "praktijk",
        "1",
        "2",
    )


def test_one_wijk_in_english_excel_style(history_url: str, tmp_path: Path) -> None:
    out = tmp_path / "centrum.csv"
    result = run_cli(
        "report",
        "--month",
        "2026-11",
        "--wijk",
        "centrum",
        "--language",
        "en",
        "--excel-style",
        "en",
        "--out",
        str(out),
        env={"DATABASE_URL": history_url},
    )
    assert result.returncode == 0, result.stderr
    rows = read(out, ",")
    assert [row["code"] for row in rows][:2] == ["centrum", "ceramique"] and len(rows) == 6 + 2 + 1
    centrum = rows[0]
    assert (centrum["level"], centrum["requests"], centrum["fill rate (%)"]) == ("wijk", "3", "60.0")
    assert centrum["offers made"] == "6" and centrum["offers withdrawn"] == "2"
    assert centrum["withdrawn within 24 hours"] == "1"


def test_unknown_wijk_and_bad_month_are_one_line(history_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": history_url}
    out = str(tmp_path / "x.csv")
    result = run_cli("report", "--month", "2026-11", "--wijk", "nergens", "--out", out, env=env)
    assert result.returncode == 2 and result.stderr.strip() == "error: unknown wijk 'nergens' in region mh"
    result = run_cli("report", "--month", "november", "--out", out, env=env)
    assert result.returncode == 2 and "use YYYY-MM" in result.stderr


def test_a_chart_of_the_month(history_url: str, tmp_path: Path) -> None:
    path = os.environ.get("PYTHONPATH", "")
    if importlib.util.find_spec("matplotlib") is None:
        pytest.skip("charts need matplotlib")
    from PIL import Image

    out = tmp_path / "november.png"
    env = {"DATABASE_URL": history_url, "PYTHONPATH": path}
    result = run_cli("report", "--month", "2026-11", "--format", "png", "--out", str(out), env=env)
    assert result.returncode == 0, result.stderr
    image = Image.open(out)
    image.verify()
    assert image.format == "PNG"
    quiet = run_cli("report", "--month", "2026-06", "--format", "png", "--out", str(out), env=env)
    assert quiet.returncode == 2 and "no chart" in quiet.stderr


async def test_meetings_on_the_region_and_wijk_rows(history_url: str, tmp_path: Path) -> None:
    db = Database(history_url)
    async with db.session() as session, session.begin():
        await build_meetings(History(session))
    await db.dispose()
    out = tmp_path / "november.csv"
    env = {"DATABASE_URL": history_url, "CLOCK_OFFSET_SECONDS": "0"}
    result = await asyncio.to_thread(run_cli, "report", "--month", "2026-11", "--out", str(out), env=env)
    assert result.returncode == 0, result.stderr
    rows = {(row["niveau"], row["code"]): row for row in read(out, ";")}
    centrum = rows["wijk", "centrum"]
    assert (centrum["bijeenkomsten gehouden"], centrum["uitgenodigd"], centrum["antwoord ja"]) == ("3", "5", "2")
    assert (centrum["actiepunten"], centrum["actiepunten open"]) == ("3", "2")
    assert rows["regio", "mh"]["bijeenkomsten gehouden"] == "3"
    assert rows["praktijk", "maasoever"]["bijeenkomsten gehouden"] == ""


def test_who_helped_whom(history_url: str, tmp_path: Path) -> None:
    out = tmp_path / "lending.csv"
    env = {"DATABASE_URL": history_url}
    result = run_cli("report", "--month", "2026-11", "--format", "lending", "--out", str(out), env=env)
    assert result.returncode == 0, result.stderr
    assert [tuple(row.values()) for row in read(out, ";")] == [
        ("centrum", "centrum", "doktersassistent", "2"),
        ("centrum", "centrum", "huisarts", "1"),
        ("centrum", "noordwest", "doktersassistent", "1"),
    ]
    result = run_cli(
        "report", "--month", "2026-11", "--wijk", "centrum", "--format", "lending", "--out", str(out), env=env
    )
    assert result.returncode == 0, result.stderr
    rows = read(out, ";")
    assert list(rows[0]) == ["helpt", "geholpen", "rol", "dagdelen"]
    assert {(row["helpt"], row["geholpen"], row["dagdelen"]) for row in rows} == {
        ("jekerkwartier", "maasoever", "1"),
        ("wyck", "maasoever", "1"),
        ("maasoever", "jekerkwartier", "1"),
    }


def test_the_full_report_as_pdf(history_url: str, tmp_path: Path) -> None:
    if importlib.util.find_spec("matplotlib") is None:
        pytest.skip("the PDF needs matplotlib")
    out = tmp_path / "november.pdf"
    env = {"DATABASE_URL": history_url, "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    result = run_cli("report", "--month", "2026-11", "--wijk", "centrum", "--format", "pdf", "--out", str(out), env=env)
    assert result.returncode == 0, result.stderr
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF") and result.stdout.strip() == f"{out}: 5 pages"
    assert "Maastricht Centrum" in pdf_text(pdf) and "Wie helpt wie" in pdf_text(pdf)
