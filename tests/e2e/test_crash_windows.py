"""A bot killed between a step's commit and PTB saving the conversation state: the step must not happen twice.

Found by the soak test (scripts/soak.py): PTB persists a conversation's new state after the handler returns, so
a crash right after the request was committed brought the finished form back, and Send pressed again posted
the request a second time. The form's end is now written in the request's own transaction.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.persistence import USER_DATA, DatabasePersistence
from db.models import ConversationState, Role, ShortageRequest
from db.session import Database
from handlers.request_form.base import DRAFT
from handlers.request_form.draft import RequestDraft
from tests.harness import running_bot
from tests.support import FakeClock
from tgserver.server import SimUser, TelegramServer


async def fill_form(manager: SimUser) -> None:
    """/verzoek up to the preview."""
    await manager.send("/verzoek")
    await manager.press(manager.last(), "doktersassistent")
    await manager.press(manager.last(), re.compile("^Morgen"))
    await manager.press(manager.last(), "Verder ›")
    await manager.press(manager.last(), "Ochtend")
    await manager.press(manager.last(), "Normaal")
    await manager.press(manager.last(), "Geen notitie")


async def test_send_again_after_a_crash_before_the_state_was_saved_posts_once(
    tg_server: TelegramServer, database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def not_saved(*_args: Any, **_kwargs: Any) -> None:
        """The process dies before PTB writes what the handler changed."""

    async with running_bot(tg_server, database_url, clock) as first:
        manager = tg_server.user(first_name="Mia")
        await first.join(manager, "caberg", Role.PRAKTIJKMANAGER)
        await fill_form(manager)
        preview = manager.last()
        send = next(b.callback_data for row in preview.buttons for b in row if b.text == "✅ Versturen")
        assert send is not None
        monkeypatch.setattr(DatabasePersistence, "update_conversation", not_saved)
        monkeypatch.setattr(DatabasePersistence, "update_user_data", not_saved)
        await manager.press(preview, "✅ Versturen")
        assert re.search(r"Hulpvraag #\d+", manager.last().text)
    monkeypatch.undo()

    async with running_bot(tg_server, database_url, clock) as second:
        # No answer came through (the process died), so Mia presses Send again on the same preview.
        await manager.press_data(preview, send)
        assert manager.callback_answers[-1].text, "a short answer, not a second request"
        async with second.session() as session:
            assert await session.scalar(select(func.count()).select_from(ShortageRequest)) == 1
        # The form is over: /verzoek starts a fresh one.
        await manager.send("/verzoek")
        assert "Wat heb je nodig" in manager.last().text or "(1/5)" in manager.last().text


async def test_a_draft_a_step_behind_its_form_asks_that_step_again(
    tg_server: TelegramServer, database_url: str, clock: FakeClock
) -> None:
    """PTB saves the conversation's step and user_data in two writes; a kill between them (seen in the soak
    test) left the form at the note with a draft without urgency, and every note typed then failed."""
    async with running_bot(tg_server, database_url, clock) as first:
        manager = tg_server.user(first_name="Mia")
        await first.join(manager, "caberg", Role.PRAKTIJKMANAGER)
        await manager.send("/verzoek")
        await manager.press(manager.last(), "doktersassistent")
        await manager.press(manager.last(), re.compile("^Morgen"))
        await manager.press(manager.last(), "Verder ›")
        await manager.press(manager.last(), "Ochtend")
        await manager.press(manager.last(), "Normaal")
    database = Database(database_url)  # after the stop, which saves user_data once more
    try:
        async with database.session() as session, session.begin():
            row = await session.get(ConversationState, (USER_DATA, str(manager.id)))
            assert row is not None
            draft = RequestDraft.from_dict(row.data[DRAFT])
            draft.urgency = None  # the user_data write that the kill prevented
            row.data = {**row.data, DRAFT: draft.to_dict()}
    finally:
        await database.dispose()
    async with running_bot(tg_server, database_url, clock):
        await manager.send("Graag iemand die de balie kent")
        assert "Sorry" not in manager.last().text
        await manager.press(manager.last(), "Normaal")
        assert "Graag iemand die de balie kent" in manager.last().text, "the preview, with the note"
        await manager.press(manager.last(), "✅ Versturen")
        assert re.search(r"Hulpvraag #\d+", manager.last().text)
