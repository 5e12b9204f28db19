"""Figures against a hand-built month: partly filled, withdrawn then refilled, cancelled, across month ends."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.services.figures import (
    Figures,
    Lending,
    Level,
    figures,
    lending,
    lending_matrix,
    month_period,
    months_period,
)
from bot.services.figures_meetings import meeting_figures
from bot.services.monthly_report import first_working_day, month_before
from db.models import (
    Practice,
    Wijk,
)
from db.session import Database
from tests.figures_history import History, build, build_meetings

ZONE = ZoneInfo("Europe/Amsterdam")
NOVEMBER = month_period(2026, 11, ZONE)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    async with db.session() as session, session.begin():
        await build(History(session))
    yield db
    await db.dispose()


async def compute(db: Database, level: Level, wijk_id: int | None = None) -> list[Figures]:
    async with db.session() as session:
        return await figures(session, region_id=1, period=NOVEMBER, level=level, wijk_id=wijk_id)


async def ids(db: Database, model: type[Practice] | type[Wijk]) -> dict[str, int]:
    async with db.session() as session:
        return {code: id_ for id_, code in (await session.execute(select(model.id, model.code))).all()}


def test_months_are_local_and_the_dst_weekend_changes_nothing() -> None:
    october = month_period(2026, 10, ZONE)
    assert october.start == datetime(2026, 9, 30, 22, tzinfo=UTC)  # summer time
    assert october.end == datetime(2026, 10, 31, 23, tzinfo=UTC)  # winter time, after 25 October
    assert (october.first_day, october.last_day) == (date(2026, 10, 1), date(2026, 10, 31))
    year = months_period(2026, 11, 12, ZONE)
    assert year.first_day == date(2025, 12, 1) and year.end == NOVEMBER.end
    assert month_period(2026, 12, ZONE).last_day == date(2026, 12, 31)


async def test_region_figures(database: Database) -> None:
    [region] = await compute(database, Level.REGION)
    assert region.unit_id == 1 and region.practices == 32
    assert region.requests == 4
    assert (region.dayparts_asked, region.dayparts_filled, region.dayparts_cancelled) == (8, 4, 2)
    assert region.dayparts_unfilled == 2
    assert region.fill_rate == pytest.approx(4 / 6)
    assert region.cancelled == {"solved": 1}
    assert (region.first_offer.count, region.first_offer.median_minutes, region.first_offer.p90_minutes) == (
        3,
        15.0,
        30.0,
    )
    assert (region.fill.count, region.fill.median_minutes, region.fill.p90_minutes) == (2, 100.0, 180.0)
    assert region.ladder == {1: 2, 2: 1, None: 1}
    assert region.offers == {"accepted": 4, "withdrawn": 2, "declined": 1}
    assert region.offers_made == 7 and region.late_withdrawals == 1


async def test_wijk_figures_and_balance(database: Database) -> None:
    wijken = await ids(database, Wijk)
    rows = {row.unit_id: row for row in await compute(database, Level.WIJK)}
    assert len(rows) == 9  # quiet wijken have their row too
    centrum, noordwest = rows[wijken["centrum"]], rows[wijken["noordwest"]]
    assert (centrum.practices, centrum.requests, centrum.dayparts_asked, centrum.dayparts_filled) == (5, 3, 7, 3)
    assert (noordwest.requests, noordwest.dayparts_asked, noordwest.dayparts_filled) == (1, 1, 1)
    assert (centrum.given, centrum.received, noordwest.given, noordwest.received) == (1, 0, 0, 1)
    assert rows[wijken["meerssen"]].empty and rows[wijken["meerssen"]].fill_rate is None
    [only] = await compute(database, Level.WIJK, wijk_id=wijken["noordwest"])
    assert only.unit_id == wijken["noordwest"] and only.ladder == {None: 1}


async def test_practice_figures(database: Database) -> None:
    practices = await ids(database, Practice)
    rows = {row.unit_id: row for row in await compute(database, Level.PRACTICE)}
    maasoever = rows[practices["maasoever"]]
    assert (maasoever.requests, maasoever.given, maasoever.received) == (1, 1, 2)
    assert maasoever.fill.median_minutes == 180.0
    assert (rows[practices["jekerkwartier"]].given, rows[practices["jekerkwartier"]].received) == (1, 1)
    assert rows[practices["wyck"]].given == 1 and rows[practices["wyck"]].requests == 0
    assert rows[practices["vrijthof"]].cancelled == {"solved": 1}


async def test_who_helps_whom(database: Database) -> None:
    practices, wijken = await ids(database, Practice), await ids(database, Wijk)
    async with database.session() as session:
        cells = await lending(session, region_id=1, period=NOVEMBER, wijk_id=wijken["centrum"])
    named = {(c.helper_practice_id, c.practice_id, c.role, c.dayparts) for c in cells}
    p = practices
    assert named == {
        (p["jekerkwartier"], p["maasoever"], "doktersassistent", 1),
        (p["wyck"], p["maasoever"], "doktersassistent", 1),
        (p["maasoever"], p["jekerkwartier"], "huisarts", 1),
    }
    assert all(isinstance(c, Lending) and c.wijk_id == wijken["centrum"] for c in cells)


async def test_october_holds_only_its_own_request(database: Database) -> None:
    async with database.session() as session:
        [october] = await figures(session, region_id=1, period=month_period(2026, 10, ZONE), level=Level.REGION)
        [december] = await figures(session, region_id=1, period=month_period(2026, 12, ZONE), level=Level.REGION)
    assert (october.requests, october.dayparts_asked, october.offers_made) == (1, 1, 0)
    assert october.first_offer.median_minutes is None and october.fill_rate == 0.0
    assert december.requests == 1


def test_first_working_day_and_month_before() -> None:
    assert first_working_day(2026, 12) == date(2026, 12, 1)  # a Tuesday
    assert first_working_day(2026, 8) == date(2026, 8, 3)  # the 1st is a Saturday
    assert first_working_day(2027, 1) == date(2027, 1, 4)  # New Year's Day is a Friday
    assert month_before(date(2027, 1, 4)) == (2026, 12) and month_before(date(2026, 12, 1)) == (2026, 11)


async def test_the_chart_is_a_png_with_a_bar_per_unit(database: Database) -> None:
    pytest.importorskip("matplotlib")
    from PIL import Image

    from bot.services.figures_chart import fill_rate_png

    rows = await compute(database, Level.WIJK)
    png = fill_rate_png([(str(row.unit_id), row) for row in rows], title="Invulgraad, november 2026", axis_label="%")
    assert png is not None
    image = Image.open(io.BytesIO(png))
    image.verify()
    assert image.format == "PNG" and image.size[0] == 900 and image.size[1] == 100 * (2 + 0.8 * 2)
    assert fill_rate_png([(str(row.unit_id), row) for row in rows if row.empty], title="-", axis_label="%") is None


async def test_by_role_and_urgency(database: Database) -> None:
    roles = {row.unit_id: row for row in await compute(database, Level.ROLE)}
    assert set(roles) == {"doktersassistent", "huisarts"}
    assert (roles["huisarts"].requests, roles["huisarts"].dayparts_asked, roles["huisarts"].dayparts_filled) == (
        1,
        3,
        1,
    )
    assert roles["doktersassistent"].practices == 3 and roles["doktersassistent"].fill_rate == 1.0
    [normaal] = await compute(database, Level.URGENCY)
    assert (normaal.unit_id, normaal.requests) == ("normaal", 4)


async def test_meeting_figures(database: Database) -> None:
    async with database.session() as session, session.begin():
        await build_meetings(History(session))
    wijken = await ids(database, Wijk)
    now, today = datetime(2026, 12, 1, 8, tzinfo=UTC), date(2026, 11, 30)
    async with database.session() as session:
        per_wijk = {
            row.unit_id: row
            for row in await meeting_figures(
                session, region_id=1, period=NOVEMBER, now=now, today=today, level=Level.WIJK
            )
        }
        [region] = await meeting_figures(
            session, region_id=1, period=NOVEMBER, now=now, today=today, level=Level.REGION
        )
    centrum, noordwest = per_wijk[wijken["centrum"]], per_wijk[wijken["noordwest"]]
    assert (centrum.held, centrum.invited, centrum.answers) == (3, 5, {"y": 2, "n": 1, "m": 1, "none": 1})
    assert (centrum.action_points, centrum.open_points, centrum.overdue_points) == (3, 2, 1)
    assert (noordwest.held, noordwest.invited, noordwest.action_points) == (1, 1, 0)
    assert (region.unit_id, region.held, region.invited, region.overdue_points) == (1, 3, 5, 1)


async def test_lending_matrix_between_wijken_and_practices(database: Database) -> None:
    practices, wijken = await ids(database, Practice), await ids(database, Wijk)
    async with database.session() as session:
        cells = await lending(session, region_id=1, period=NOVEMBER)
    by_wijk = lending_matrix(cells, Level.WIJK)
    assert by_wijk == {
        (wijken["centrum"], wijken["centrum"], "doktersassistent"): 2,
        (wijken["centrum"], wijken["centrum"], "huisarts"): 1,
        (wijken["centrum"], wijken["noordwest"], "doktersassistent"): 1,
    }
    huisarts = lending_matrix(cells, Level.PRACTICE, role="huisarts")
    assert huisarts == {(practices["maasoever"], practices["jekerkwartier"], "huisarts"): 1}
