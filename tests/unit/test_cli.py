"""The command line: clear one-line errors, invite links, coordinators."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    base = {"PATH": "/usr/bin:/bin", "HOME": str(cwd)}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_help_lists_the_commands() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("run", "playground", "migrate", "import-network", "invite", "add-coordinator"):
        assert command in result.stdout


def test_run_without_token_is_one_line(tmp_path: Path) -> None:
    result = run_cli("run", env={"DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: TELEGRAM_BOT_TOKEN is needed: create a bot with @BotFather in Telegram and put its token "
        "in the environment or in .env"
    ]


def test_run_refuses_feed_links_that_nothing_would_serve(tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3",
        "TELEGRAM_BOT_TOKEN": "123:abc",
        "PUBLIC_BASE_URL": "https://wijkhulp.example.org",
        "PYTHONPATH": str(ROOT),  # this checkout's bot, whatever the interpreter has installed
    }
    result = run_cli("run", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: PUBLIC_BASE_URL needs webhook mode (WEBHOOK_URL): with polling no web server runs to serve the "
        "calendar feeds its links would point at"
    ]


def test_the_playground_never_takes_the_production_database(tmp_path: Path) -> None:
    production = tmp_path / "wijkhulp.sqlite3"
    result = run_cli(
        "playground", "--database", str(production), env={"DATABASE_URL": f"sqlite:///{production}"}, cwd=tmp_path
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: the playground starts its database afresh: give it a file other than DATABASE_URL's"
    )
    assert not production.exists()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://x@localhost/db", "error: DATABASE_URL is not usable: unsupported database 'mysql'"),
        ("not a url at all", "error: DATABASE_URL is not usable"),
        ("postgresql://wh:secret@127.0.0.1:1/wh", "error: cannot reach the database in DATABASE_URL"),
    ],
)
def test_bad_database_url_is_one_line_without_the_password(tmp_path: Path, url: str, expected: str) -> None:
    result = run_cli("run", env={"DATABASE_URL": url, "TELEGRAM_BOT_TOKEN": "1:x"}, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(expected)
    assert "secret" not in result.stderr


def test_default_database_is_created_under_data(tmp_path: Path) -> None:
    result = run_cli("migrate", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "wijkhulp.sqlite3").exists()


def test_invite_and_coordinator_commands(database_url: str) -> None:
    env = {"DATABASE_URL": database_url, "TELEGRAM_BOT_USERNAME": "wijkhulp_bot"}
    first = run_cli("invite", "--practice", "caberg", "--role", "huisarts", env=env)
    second = run_cli("invite", "--role", "medisch-student", "--uses", "30", "--expires-days", "60", env=env)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    links = [first.stdout.strip(), second.stdout.strip()]
    assert all(re.fullmatch(r"https://t\.me/wijkhulp_bot\?start=[A-Za-z0-9_-]{22}", link) for link in links)
    assert links[0] != links[1]

    refused = [
        run_cli("invite", "--practice", "nowhere", "--role", "huisarts", env=env),
        run_cli("invite", "--role", "huisarts", env=env),
        run_cli("invite", "--practice", "caberg", "--role", "medisch-student", env=env),
        run_cli("invite", "--practice", "caberg", "--role", "huisarts", "--uses", "0", env=env),
        # Out of range like any other value (it used to become the default, 14 days, without a word).
        run_cli("invite", "--practice", "caberg", "--role", "huisarts", "--expires-days", "0", env=env),
    ]
    assert [r.returncode for r in refused] == [2, 2, 2, 2, 2]
    assert all(len(r.stderr.strip().splitlines()) == 1 for r in refused)

    assert run_cli("add-coordinator", "4242", env=env).stdout.strip() == "4242 is now a coordinator of mh"
    assert run_cli("add-coordinator", "4242", env=env).stdout.strip() == "4242 is already a coordinator of mh"


def test_import_meetings_command(database_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": database_url}
    schedule = tmp_path / "meetings.yaml"
    schedule.write_text(
        "- key: nw-2030\n  wijk: noordwest\n  title: Wijkoverleg\n  start: 2030-03-12T19:00\n"
        "  end: 2030-03-12T21:00\n  location: Caberg\n",
        encoding="utf-8",
    )
    first = run_cli("import-meetings", str(schedule), env=env)
    assert first.returncode == 0, first.stderr
    assert "1 nieuw, 0 bijgewerkt, 0 ongewijzigd" in first.stdout
    again = run_cli("import-meetings", str(schedule), env=env)
    assert "0 nieuw, 0 bijgewerkt, 1 ongewijzigd" in again.stdout

    bad = tmp_path / "bad.yaml"
    bad.write_text(schedule.read_text(encoding="utf-8") + "- key: x\n  wijk: nergens\n  title: X\n", encoding="utf-8")
    refused = run_cli("import-meetings", str(bad), env=env)
    assert refused.returncode == 1
    assert f"{bad}:8: bijeenkomst 'x': onbekende wijk 'nergens'" in refused.stderr  # the line of `wijk:`
    assert run_cli("import-meetings", str(schedule), env=env).stdout.count("1 ongewijzigd") == 1


def test_import_meetings_refuses_the_past_and_lists_what_the_file_left_out(database_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": database_url}
    entry = (
        "- key: {key}\n  wijk: noordwest\n  title: Overleg\n  start: {year}-03-12T19:00\n"
        "  end: {year}-03-12T21:00\n  location: Caberg\n"
    )
    first = tmp_path / "first.yaml"
    first.write_text(entry.format(key="a", year=2030) + entry.format(key="b", year=2030), encoding="utf-8")
    assert run_cli("import-meetings", str(first), env=env).returncode == 0

    past = tmp_path / "past.yaml"
    past.write_text(entry.format(key="a", year=2030) + entry.format(key="oud", year=2020), encoding="utf-8")
    refused = run_cli("import-meetings", str(past), env=env)
    assert refused.returncode == 1
    assert f"{past}:10: bijeenkomst 'oud': al zijn data liggen in het verleden" in refused.stderr
    allowed = run_cli("import-meetings", "--allow-past", str(past), env=env)
    assert allowed.returncode == 0, allowed.stderr
    assert f"{past}:10: waarschuwing: bijeenkomst 'oud'" in allowed.stderr
    assert "1 nieuw, 0 bijgewerkt, 1 ongewijzigd" in allowed.stdout
    assert "Niet meer in het bestand:\n  b: Overleg (1 datum vooruit" in allowed.stdout
    assert "--cancel-missing" in allowed.stdout

    cancelled = run_cli("import-meetings", "--cancel-missing", str(past), env=env)
    assert cancelled.returncode == 0, cancelled.stderr
    assert "1 datum geannuleerd" in cancelled.stdout
    assert "Niet meer in het bestand" not in run_cli("import-meetings", str(past), env=env).stdout
