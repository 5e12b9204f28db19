"""Test support without Telegram: the injected clock and the example network."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.services.network import import_network, parse_network
from db.migrate import upgrade_to_head
from db.session import Database

EXAMPLE_NETWORK = Path(__file__).parent.parent / "app" / "playground" / "example-network.yaml"


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        """The time the test has set."""
        return self.current

    def advance(self, **delta: float) -> None:
        """Move the clock forward, e.g. advance(days=15)."""
        self.current += timedelta(**delta)


async def seed_network(database_url: str) -> None:
    """Import the example network into a fresh database."""
    database = Database(database_url)
    try:
        await upgrade_to_head(database.engine)
        async with database.session() as session, session.begin():
            await import_network(session, parse_network(EXAMPLE_NETWORK.read_text(encoding="utf-8")))
    finally:
        await database.dispose()
