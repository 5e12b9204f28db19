"""The soak test's short form, in every test run: 20 SIGKILLs of the real bot process, a few people."""

from __future__ import annotations

from pathlib import Path

from tests.soak.runner import Options, run


async def test_twenty_kills_lose_nothing_and_double_nothing(database_url: str, tmp_path: Path) -> None:
    options = Options(
        kills=20, users=8, seed=20261123, rounds=1, max_uptime=1.5, database_url=database_url, workdir=str(tmp_path)
    )
    status, summary = await run(options)
    figures = summary["figures"]
    assert isinstance(figures, dict)
    assert status == 0, summary["problems"]
    assert figures["kills"] == 20 and figures["restarts"] == 20
    assert figures["requests posted"] >= 1, "the managers got their requests out between the kills"
    assert figures["messages sent by the outbox"] > 0
    assert figures["reminders due and sent"] >= 1, "a meeting reminder came due during the run"
