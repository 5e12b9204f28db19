"""The handlers declare the permission table's rules: every command and button row has a decorated handler
(handlers/entry.py) whose rule is the row's, and every decorated handler is wired into the application.
So the table is enforced, not only documented."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from telegram.ext import BaseHandler, ConversationHandler

from app.wiring import build_application
from bot.config import Settings
from bot.permission_table import TABLE
from handlers.entry import REGISTRY, Entry


def test_every_row_has_a_handler_with_its_rule() -> None:
    declared: dict[str, set[str]] = {}
    for entry in REGISTRY:
        declared.setdefault(f"{entry.kind}:{entry.key}", set()).add(entry.rule)
    disagree = []
    for row in TABLE:
        rules = declared.get(f"{row.kind}:{row.key}")
        if rules != {row.rule}:
            disagree.append(f"{row.kind} {row.key}: table says {row.rule}, handlers declare {rules}")
    assert not disagree, "\n".join(disagree)


def test_every_declaration_is_a_row() -> None:
    rows = {(row.kind, row.key) for row in TABLE}
    unknown = [entry for entry in REGISTRY if (entry.kind, entry.key) not in rows]
    assert not unknown, unknown


def _callbacks(handlers: list[BaseHandler[Any, Any, Any]]) -> Iterator[object]:
    for handler in handlers:
        if isinstance(handler, ConversationHandler):
            yield from _callbacks(list(handler.entry_points))
            for steps in handler.states.values():
                yield from _callbacks(list(steps))
            yield from _callbacks(list(handler.fallbacks))
        else:
            yield handler.callback


def test_every_decorated_handler_is_wired(tmp_path: Path) -> None:
    """A decorated handler that build() forgot would leave its row unserved while the table looks fine."""
    settings = Settings(telegram_bot_token="123:abc", database_url=f"sqlite:///{tmp_path / 'unused.sqlite3'}")
    application = build_application(settings)
    wired = {
        f"{callback.__wrapped__.__module__}.{callback.__wrapped__.__qualname__}"
        for group in application.handlers.values()
        for callback in _callbacks(list(group))
        if isinstance(callback, Entry)
    }
    missing = {entry.handler for entry in REGISTRY} - wired
    assert not missing, missing
