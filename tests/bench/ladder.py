"""One ladder round in a large region, timed in-process through the service the bot runs (no Telegram).

The region has `members` people, of whom only `fitting` can fill the request (doktersassistenten of the
requester's continuity partner); the rest are POH-S all over the region. A round should cost what it asks, not
what the region holds: the issue's target is under 50 ms at 100,000 members.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select, text

from bot.services.ladder import Waits, post_and_ask
from bot.services.members import member_relations, resolve_region
from bot.services.requests import NeededRole, SlotInput
from db.models import Daypart, Member, MemberRole, Practice, Role, Urgency
from db.session import Database
from tests.bench.bots import HELPER_PRACTICE, REQUESTER_PRACTICE, ZONE, admin_sql, with_database
from tests.soak.runner import prepare_database

FIRST_USER_ID = 500_000_000
BATCH = 5_000


async def _seed(database: Database, members: int, fitting: int) -> int:
    """Bulk inserts into a region without members; returns the requesting manager's member id."""
    now = datetime.now(UTC)
    async with database.session() as session, session.begin():
        region = await resolve_region(session, None)
        practices = {p.code: p for p in await session.scalars(select(Practice).where(Practice.region_id == region.id))}
        others = [p.id for code, p in practices.items() if code not in (REQUESTER_PRACTICE, HELPER_PRACTICE)]
        people: list[tuple[int, Role]] = [(practices[REQUESTER_PRACTICE].id, Role.PRAKTIJKMANAGER)]
        people += [(practices[HELPER_PRACTICE].id, Role.DOKTERSASSISTENT)] * fitting
        people += [(others[i % len(others)], Role.POH_S) for i in range(max(0, members - fitting - 1))]
        for start in range(0, len(people), BATCH):
            chunk = people[start : start + BATCH]
            await session.execute(
                insert(Member),
                [
                    {
                        "id": start + i + 1,
                        "telegram_user_id": FIRST_USER_ID + start + i,
                        "region_id": region.id,
                        "practice_id": practice_id,
                        "display_name": f"Lid {start + i}",
                        "language": "nl",
                        "joined_at": now,
                    }
                    for i, (practice_id, _role) in enumerate(chunk)
                ],
            )
            await session.execute(
                insert(MemberRole),
                [{"member_id": start + i + 1, "role": role.value} for i, (_practice, role) in enumerate(chunk)],
            )
    return 1


async def ladder_round(workdir: Path, members: int, fitting: int, repeat: int, postgres_admin: str = "") -> list[float]:
    """Milliseconds for posting a request and running its first round (one transaction), `repeat` times."""
    name = ""
    if postgres_admin:
        name = f"wh_ladder_{uuid.uuid4().hex[:10]}"
        await admin_sql(postgres_admin, f'CREATE DATABASE "{name}"')
        url = with_database(postgres_admin, name)
    else:
        url = f"sqlite:///{workdir / f'ladder-{uuid.uuid4().hex[:6]}.sqlite3'}"
    try:
        await prepare_database(url)
        database = Database(url)
        try:
            author_id = await _seed(database, members, fitting)
            if postgres_admin:  # as autovacuum does shortly after a load this size; without statistics the
                async with database.engine.begin() as connection:  # planner reads the whole region
                    await connection.execute(text("ANALYZE"))
            timings = []
            for index in range(repeat):
                now = datetime.now(UTC)
                async with database.session() as session:
                    async with session.begin():
                        author = await session.scalar(
                            select(Member).where(Member.id == author_id).options(*member_relations())
                        )
                        assert author is not None and author.practice is not None
                        started = time.perf_counter()
                        asked = await post_and_ask(
                            session,
                            now=now,
                            zone=ZONE,
                            waits=Waits.from_minutes(15, 240),
                            author=author,
                            practice=author.practice,
                            role_needed=NeededRole.DOKTERSASSISTENT,
                            urgency=Urgency.SPOED,
                            slots=[SlotInput.for_daypart(now.astimezone(ZONE).date() + timedelta(1), Daypart.OCHTEND)],
                            note=f"ladder {index}",
                        )
                    timings.append(1000 * (time.perf_counter() - started))
                    assert asked.asked == fitting, f"the round asked {asked.asked}, not {fitting}"
            return timings
        finally:
            await database.dispose()
    finally:
        if name:
            await admin_sql(postgres_admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        elif url.startswith("sqlite:///"):
            await asyncio.to_thread(Path(url.removeprefix("sqlite:///")).unlink, missing_ok=True)
