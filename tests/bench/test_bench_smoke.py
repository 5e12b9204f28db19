"""The benchmark at tiny sizes, to show that it still runs: only with WIJKHULP_BENCH_SMOKE=1 (about two minutes,
most of it starting two bots and waiting for the meeting sweep), so `./dev test` stays as fast as it was."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.bench.runner import Options, run

pytestmark = pytest.mark.skipif(
    not os.environ.get("WIJKHULP_BENCH_SMOKE"), reason="the benchmark's smoke run: set WIJKHULP_BENCH_SMOKE=1"
)


async def test_the_benchmark_measures_every_line(tmp_path: Path) -> None:
    options = Options(
        repeat=1,
        help_n=4,
        rsvp_n=4,
        offer_n=3,
        steady_seconds=0.5,
        ladder_members=50,
        scale_small=3,
        scale_large=20,
        reminders=20,
        national_practices=20,
        national_members=200,
        national_requests=400,
        national_asked=2_000,
        workdir=str(tmp_path),
        report=str(tmp_path / "bench.json"),
    )
    lines: list[str] = []
    status, report = await run(options, lines.append)
    assert status == 0
    assert report["problems"] == [], report["problems"]
    table = report["table"]
    assert isinstance(table, list)
    measured = [row for row in table if not row["result"].startswith("not measured")]
    assert len(measured) == 18, table
    assert all(row["wijkhulp"] != "-" for row in measured), table
    assert all(row["bare"] != "-" for row in measured[:6]), table
    assert (tmp_path / "bench.json").exists()
    assert any(line.startswith("| work") for line in lines)
