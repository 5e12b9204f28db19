"""What every update needs: settings, the database and the clock, opened in post_init."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.config import Settings
from db.session import Database


@dataclass
class Runtime:
    """The long-lived resources of one running bot."""

    settings: Settings
    database: Database
    clock: Clock
    bot_username: str = ""
