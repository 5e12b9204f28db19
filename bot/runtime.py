"""What every update needs: settings, the database and the clock, opened in post_init."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.clock import Clock
from bot.config import Settings
from bot.services.runs import new_run_id
from db.session import Database


@dataclass
class Runtime:
    """The long-lived resources of one running bot."""

    settings: Settings
    database: Database
    clock: Clock
    bot_username: str = ""
    run_id: str = field(default_factory=new_run_id)  # this start of the process: outbox claims carry it
