"""The network file: validation names every problem; import is idempotent and all-or-nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.network import NetworkFileError, import_network, parse_network
from db.models import Practice, Region, Wijk
from db.session import Database
from tests.support import EXAMPLE_NETWORK

EXAMPLE = EXAMPLE_NETWORK.read_text(encoding="utf-8")
ROOT = Path(__file__).resolve().parents[2]


def problems_of(text: str) -> list[str]:
    with pytest.raises(NetworkFileError) as caught:
        parse_network(text)
    return [problem.message.format(**problem.params) for problem in caught.value.problems]


def test_example_network_parses() -> None:
    spec = parse_network(EXAMPLE)
    assert spec.code == "mh"
    assert len(spec.wijken) == 9
    assert len(spec.practices) == 32
    caberg = next(p for p in spec.practices if p.code == "caberg")
    assert caberg.name == "Huisartsen Caberg <&> Oud-Caberg"


def test_every_problem_is_named_at_once() -> None:
    broken = """
region: {code: mh, name: Test}
wijken:
  - {code: a, name: A, adjacent: [b, nowhere]}
  - {code: b, name: B}
  - {code: b, name: B again}
practices:
  - {code: p1, name: P1, wijk: a, partners: [ghost]}
  - {code: p1, name: P1 again, wijk: a}
  - {code: p2, wijk: zz}
"""
    found = problems_of(broken)
    assert "duplicate wijk code 'b'" in found
    assert "wijk 'a': adjacent to unknown wijk 'nowhere'" in found
    assert "practice 'p1': unknown partner 'ghost'" in found
    assert "duplicate practice code 'p1'" in found
    assert "practice 'p2': unknown wijk 'zz'" in found
    assert "practice 'p2': missing field 'name'" in found
    assert len(found) == 6


def test_problems_carry_line_numbers() -> None:
    with pytest.raises(NetworkFileError) as caught:
        parse_network(
            "region: {code: x, name: X}\nwijken:\n  - {code: a, name: A}\npractices:\n  - {code: p, name: P, wijk: q}\n"
        )
    assert [p.line for p in caught.value.problems] == [5]


@pytest.mark.parametrize("text", ["", "just text", "[1, 2]", "region: [", "wijken: []"])
def test_garbage_is_refused(text: str) -> None:
    assert problems_of(text)


async def count(session: AsyncSession, model: type[Region] | type[Wijk] | type[Practice]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_import_is_idempotent_and_renames(database_url: str) -> None:
    database = Database(database_url)
    try:
        # The template already holds the example network: importing it again changes nothing.
        async with database.session() as session, session.begin():
            report = await import_network(session, parse_network(EXAMPLE))
        assert (report.created, report.updated, report.deactivated, report.region_created) == (0, 0, 0, False)
        assert report.unchanged == 9 + 32

        renamed = EXAMPLE.replace('"Praktijk Pottenberg"', '"Praktijk Pottenberg-Noord"')
        async with database.session() as session, session.begin():
            report = await import_network(session, parse_network(renamed))
        assert report.updated == 1
        async with database.session() as session:
            name = await session.scalar(select(Practice.name).where(Practice.code == "pottenberg"))
            assert name == "Praktijk Pottenberg-Noord"
            assert await count(session, Practice) == 32
            wijk = await session.scalar(select(Wijk).where(Wijk.code == "zuidwest"))
            assert wijk is not None
            await session.refresh(wijk, ["adjacent"])
            assert sorted(w.code for w in wijk.adjacent) == ["centrum", "zuidoost"]
    finally:
        await database.dispose()


def test_cli_refuses_a_bad_file_and_leaves_the_database_as_it_was(database_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        EXAMPLE.replace("wijk: centrum,    partners: [jekerkwartier]", "wijk: centrun, partners: [x]").replace(
            '"Praktijk Pottenberg"', '"Renamed"'
        ),
        encoding="utf-8",
    )
    env = {"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin", "DEFAULT_LANGUAGE": "en"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "import-network", str(bad)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "practice 'maasoever': unknown wijk 'centrun'" in result.stderr
    assert "practice 'maasoever': unknown partner 'x'" in result.stderr
    assert "nothing was imported (2 problems)" in result.stderr
    one = tmp_path / "one.yaml"
    one.write_text(EXAMPLE.replace("wijk: centrum,    partners: [jekerkwartier]", "wijk: centrun, partners: []"))
    single = subprocess.run(
        [sys.executable, "-m", "bot", "import-network", str(one)],
        cwd=ROOT,
        env={**env, "DEFAULT_LANGUAGE": "nl"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert "er is niets geïmporteerd (1 probleem)." in single.stderr, single.stderr

    async def unchanged() -> str | None:
        database = Database(database_url)
        try:
            async with database.session() as session:
                return await session.scalar(select(Practice.name).where(Practice.code == "pottenberg"))
        finally:
            await database.dispose()

    import asyncio

    assert asyncio.run(unchanged()) == "Praktijk Pottenberg"


def test_student_roles_default_and_validation() -> None:
    assert parse_network(EXAMPLE).student_roles == ("assistent", "medisch-student")
    custom = EXAMPLE.replace("  locale: nl\n", "  locale: nl\n  student_roles: [medisch-student, triagist]\n")
    assert parse_network(custom).student_roles == ("medisch-student", "triagist")
    wrong = EXAMPLE.replace("  locale: nl\n", "  locale: nl\n  student_roles: [chirurg]\n")
    assert problems_of(wrong) == ["region: unknown role 'chirurg' in student_roles"]


async def test_managers_may_schedule_meetings_only_when_the_region_says_so(database_url: str) -> None:
    assert parse_network(EXAMPLE).meetings_by_managers is False
    allowed = EXAMPLE.replace("  locale: nl\n", "  locale: nl\n  meetings_by_managers: true\n")
    assert parse_network(allowed).meetings_by_managers is True
    assert problems_of(EXAMPLE.replace("  locale: nl\n", "  locale: nl\n  meetings_by_managers: perhaps\n")) == [
        "region: field 'meetings_by_managers' must be true or false"
    ]
    database = Database(database_url)
    try:
        async with database.session() as session, session.begin():
            report = await import_network(session, parse_network(allowed))
        assert report.updated == 1
        async with database.session() as session:
            assert await session.scalar(select(Region.meetings_by_managers)) is True
    finally:
        await database.dispose()


async def test_a_first_import_counts_everything_as_created_and_a_new_partner_as_one_update(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path}/fresh.sqlite3")
    try:
        from db.migrate import upgrade_to_head

        await upgrade_to_head(database.engine)
        async with database.session() as session, session.begin():
            first = await import_network(session, parse_network(EXAMPLE))
        assert (first.region_created, first.created, first.updated, first.unchanged) == (True, 41, 0, 0)
        partnered = EXAMPLE.replace("wijk: centrum,    partners: []}", "wijk: centrum,    partners: [wyck]}", 1)
        async with database.session() as session, session.begin():
            second = await import_network(session, parse_network(partnered))
        assert (second.created, second.updated, second.unchanged) == (0, 2, 39)  # vrijthof and wyck
    finally:
        await database.dispose()
