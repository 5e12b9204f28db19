"""The soak test's short form, in every test run: 20 SIGKILLs of the real bot process, a few people.

It runs at a fixed time of day (the bot's clock is moved, see `--time-of-day`), once in the day and once in the
helpers' quiet hours, so that its result does not depend on when the suite runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import POSTGRES_URL
from tests.soak.runner import Options, run


@pytest.mark.parametrize("time_of_day", ["12:00", "23:00"])
async def test_twenty_kills_lose_nothing_and_double_nothing(
    database_url: str, tmp_path: Path, time_of_day: str
) -> None:
    options = Options(
        kills=20,
        users=8,
        seed=20261123,
        rounds=1,
        max_uptime=1.5,
        database_url=database_url,
        workdir=str(tmp_path),
        time_of_day=time_of_day,
    )
    status, summary = await run(options)
    figures = summary["figures"]
    assert isinstance(figures, dict)
    assert status == 0, (summary["problem count"], summary["problems"])
    assert figures["started at (local)"].endswith(time_of_day)
    assert figures["kills"] == 20 and figures["restarts"] == 20
    assert figures["requests posted"] >= 1, "the managers got their requests out between the kills"
    assert figures["messages sent by the outbox"] > 0
    assert figures["reminders due and sent"] >= 1, "a meeting reminder came due during the run"
    if time_of_day == "23:00":
        # Normaal requests wait for the helpers' morning: those rows are counted apart, not as problems.
        assert figures["outbox rows scheduled for later (quiet hours)"] >= 1


@pytest.mark.skipif(not POSTGRES_URL, reason="several workers need PostgreSQL (WIJKHULP_TEST_POSTGRES_URL)")
async def test_three_workers_killed_one_at_a_time_lose_nothing_and_double_nothing(
    database_url: str, tmp_path: Path
) -> None:
    """Three workers in webhook mode on one PostgreSQL database (MULTI_WORKER), 20 kills of a random one."""
    options = Options(
        kills=20,
        users=8,
        seed=20261126,
        rounds=1,
        max_uptime=1.5,
        database_url=database_url,
        workdir=str(tmp_path),
        time_of_day="12:00",
        workers=3,
    )
    status, summary = await run(options)
    figures = summary["figures"]
    assert isinstance(figures, dict)
    assert status == 0, (summary["problem count"], summary["problems"])
    assert figures["kills"] == 20
    assert figures["requests posted"] >= 1
    assert figures["reminders due and sent"] >= 1
