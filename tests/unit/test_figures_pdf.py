"""The PDF report against the hand-built month: its pages, its text, and a practice's own row of who helps whom."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.i18n import Translator
from bot.services.figures import Level, OwnLending, figures, month_period, own_lending
from bot.services.figures_pdf import report_data, report_pdf
from db.models import Practice, Wijk
from db.session import Database
from tests.figures_history import History, build, build_meetings
from tests.pdf_text import page_count, pdf_text

ZONE = ZoneInfo("Europe/Amsterdam")
NOVEMBER = month_period(2026, 11, ZONE)
NOW = datetime(2026, 12, 1, 8, tzinfo=UTC)
NL = Translator("nl", ZONE)

pytest.importorskip("matplotlib")


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    async with db.session() as session, session.begin():
        await build(History(session))
        await build_meetings(History(session))
    yield db
    await db.dispose()


async def practice(db: Database, code: str) -> Practice:
    async with db.session() as session:
        return (await session.execute(select(Practice).where(Practice.code == code))).scalar_one()


async def test_the_region_report(database: Database) -> None:
    async with database.session() as session:
        pdf = await report_pdf(session, region_id=1, period=NOVEMBER, wijk_id=None, t=NL, now=NOW)
        again = await report_pdf(session, region_id=1, period=NOVEMBER, wijk_id=None, t=NL, now=NOW)
    assert pdf.startswith(b"%PDF") and pdf.rstrip().endswith(b"%%EOF")
    assert pdf == again  # no creation date: the same figures give the same file
    # Key figures and chart, the wijken, who helps whom (the matrix, then per role), the meetings.
    assert page_count(pdf) == 5
    text = pdf_text(pdf)
    assert "Maastricht-Heuvelland" in text and "Maastricht Centrum" in text
    assert "Verzoeken" in text and "Invulgraad" in text and "Wie helpt wie" in text and "Bijeenkomsten" in text
    assert "mediaan 15 min, p90 30 min" in text  # time to first offer, as test_figures computes it


async def test_a_wijk_report_names_its_practices(database: Database) -> None:
    async with database.session() as session:
        centrum = await session.scalar(select(Wijk.id).where(Wijk.code == "centrum"))
        data = await report_data(session, region_id=1, period=NOVEMBER, wijk_id=centrum, now=NOW)
        pdf = await report_pdf(session, region_id=1, period=NOVEMBER, wijk_id=centrum, t=NL, now=NOW)
    assert [shown.unit.code for shown in data.units][:2] == ["centrum", "ceramique"]
    assert {(p.helper, p.helped, p.role, p.dayparts) for p in data.pairs} == {
        ("Huisartsen Jekerkwartier", "Huisartsenpraktijk De Maasoever", "doktersassistent", 1),
        ("Huisartsenpraktijk Wyck", "Huisartsenpraktijk De Maasoever", "doktersassistent", 1),
        ("Huisartsenpraktijk De Maasoever", "Huisartsen Jekerkwartier", "huisarts", 1),
    }
    assert data.matrix_level is Level.PRACTICE
    assert [(unit.code, found.held) for unit, found in data.meetings] == [("centrum", 3)]
    assert page_count(pdf) == 5 and "Jekerkwartier" in pdf_text(pdf)


async def test_a_practice_own_row_of_who_helps_whom(database: Database) -> None:
    maasoever = await practice(database, "maasoever")
    async with database.session() as session:
        rows = await own_lending(session, practice=maasoever, period=NOVEMBER)
        [own] = [
            f
            for f in await figures(session, region_id=1, period=NOVEMBER, level=Level.PRACTICE)
            if f.unit_id == maasoever.id
        ]
    assert [(r.given, r.other_code, r.role, r.dayparts) for r in rows] == [
        (True, "jekerkwartier", "huisarts", 1),
        (False, "jekerkwartier", "doktersassistent", 1),
        (False, "wyck", "doktersassistent", 1),
    ]
    assert all(isinstance(r, OwnLending) for r in rows)
    # The row adds up to the practice's balance.
    assert sum(r.dayparts for r in rows if r.given) == own.given
    assert sum(r.dayparts for r in rows if not r.given) == own.received


async def test_a_practice_report_names_only_its_partners(database: Database) -> None:
    maasoever = await practice(database, "maasoever")
    async with database.session() as session:
        data = await report_data(session, region_id=1, period=NOVEMBER, wijk_id=None, now=NOW, practice=maasoever)
        pdf = await report_pdf(session, region_id=1, period=NOVEMBER, wijk_id=None, t=NL, now=NOW, practice=maasoever)
    assert [shown.unit.level for shown in data.units] == [Level.PRACTICE, Level.WIJK, Level.REGION]
    assert data.pairs == [] and len(data.own_pairs) == 3
    assert page_count(pdf) == 4
    text = pdf_text(pdf)
    assert "Maasoever" in text and "Jekerkwartier" in text and "Wyck" in text  # its partners
    assert "Vrijthof" not in text and "Malberg" not in text and "Ceramique" not in text  # nobody else


async def test_the_pairs_per_role_stop_at_the_largest(database: Database) -> None:
    """A region's hundreds of pairs would fill twenty pages: the report lists the largest, and says where the rest
    are."""
    from dataclasses import replace

    from bot.services.figures_pdf import PAIR_ROWS, Pair, render_pdf

    async with database.session() as session:
        data = await report_data(session, region_id=1, period=NOVEMBER, wijk_id=None, now=NOW)
    few = render_pdf(data, NL)
    many = [Pair(f"Helper {index:03d}", f"Helped {index:03d}", "poh_s", 1000 - index) for index in range(200)]
    listed = render_pdf(replace(data, pairs=many), NL)
    text = pdf_text(listed)
    assert page_count(listed) == page_count(few) + 1  # two pages of pairs instead of one
    assert f"Helper {PAIR_ROWS - 1:03d}" in text and f"Helper {PAIR_ROWS:03d}" not in text
    assert f"{PAIR_ROWS} grootste van 200" in text
