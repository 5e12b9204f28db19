"""The benchmark's monthly-report part at tiny sizes, to show that it still runs and measures real figures (a few
seconds, so it runs with `./dev test`; the times are not checked here, the benchmark judges them)."""

from __future__ import annotations

import os
from pathlib import Path

from tests.bench.report import Sizes, national_report
from tests.bench.runner import Figures, Options, _report_rows

TINY = Sizes(practices=30, members=300, requests=600, asked=3_000)


async def test_the_monthly_report_part_seeds_a_country_and_times_the_report(tmp_path: Path) -> None:
    postgres = os.environ.get("WIJKHULP_TEST_POSTGRES_URL", "")
    timed = await national_report(tmp_path, TINY, repeat=2, postgres_admin=postgres)
    assert len(timed.monthly_ms) == 2 and len(timed.year_ms) == 2
    assert timed.requests > 0 and timed.dayparts_asked >= timed.requests  # the month had requests
    assert timed.year_requests > timed.requests  # and the year more
    assert timed.rows > 1 and timed.lending_lines > 0
    assert not timed.reused and timed.seed_s > 0
    if not postgres:  # the seeded file is kept and reused by the next run
        again = await national_report(tmp_path, TINY, repeat=1)
        assert again.reused and again.seed_s == 0
        assert (again.requests, again.rows) == (timed.requests, timed.rows)


def test_the_table_has_the_report_lines() -> None:
    figures = Figures()
    options = Options()
    assert [row.result for row in _report_rows(figures.values, options)] == ["not measured"]
    for value in (900.0, 1100.0, 1000.0):
        figures.add("monthly report ms", "wijkhulp", value)
        figures.add("year figures ms", "wijkhulp", 2 * value)
    monthly, year = _report_rows(figures.values, options)
    assert (monthly.wijkhulp, monthly.result) == ("1000 (900-1100)", "PASS")
    assert "national size" in monthly.work and monthly.target == "< 2000 ms"
    assert year.result == "FAIL"
