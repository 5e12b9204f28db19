"""DatabasePersistence: PTB state in the database survives a restart, also in the middle of a conversation."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest, RequestData

from bot.persistence import DatabasePersistence, persist_after_update
from db.models import Base, ConversationState
from db.session import Database


async def open_database(path: Path) -> Database:
    database = Database(f"sqlite:///{path}")
    async with database.engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    return database


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_database(tmp_path / "state.sqlite3")
    yield database
    await database.dispose()


def persistence_over(database: Database) -> DatabasePersistence:
    return DatabasePersistence(lambda: database)


async def test_conversations_round_trip_with_tuple_keys(database: Database) -> None:
    persistence = persistence_over(database)
    await persistence.update_conversation("demo", (42, 42), 1)
    await persistence.update_conversation("demo", (-100123, 7), "ASK_DATE")
    await persistence.update_conversation("other", (42, 42), 5)
    await persistence.update_conversation("demo", (42, 42), 2)  # an upsert, not a second row

    assert await persistence.get_conversations("demo") == {(42, 42): 2, (-100123, 7): "ASK_DATE"}
    assert await persistence.get_conversations("other") == {(42, 42): 5}
    assert await persistence.get_conversations("unknown") == {}

    await persistence.update_conversation("demo", (42, 42), None)  # the conversation ended
    assert await persistence.get_conversations("demo") == {(-100123, 7): "ASK_DATE"}


async def test_user_and_chat_data_round_trip_and_deletion(database: Database) -> None:
    persistence = persistence_over(database)
    draft = {"draft": {"role": "huisarts", "dates": ["2025-03-01", "2025-03-02"], "hours": 8, "urgent": True}}
    await persistence.update_user_data(42, draft)
    await persistence.update_user_data(43, {"language": "en"})
    await persistence.update_chat_data(-100123, {"topic": 7})
    await persistence.update_user_data(43, {"language": "nl"})

    assert await persistence.get_user_data() == {42: draft, 43: {"language": "nl"}}
    assert await persistence.get_chat_data() == {-100123: {"topic": 7}}

    await persistence.drop_user_data(42)
    await persistence.update_user_data(43, {})  # empty is the same as nothing
    await persistence.drop_chat_data(-100123)
    await persistence.drop_chat_data(999)  # nothing there: no error
    assert await persistence.get_user_data() == {}
    assert await persistence.get_chat_data() == {}


async def test_a_second_persistence_over_the_same_file_sees_everything(database: Database, tmp_path: Path) -> None:
    first = persistence_over(database)
    await first.update_conversation("verzoek", (42, 42), 3)
    await first.update_user_data(42, {"draft": {"step": 3}})
    await first.update_chat_data(42, {"seen": 1})
    await database.dispose()

    reopened = await open_database(tmp_path / "state.sqlite3")
    try:
        second = persistence_over(reopened)
        assert await second.get_conversations("verzoek") == {(42, 42): 3}
        assert await second.get_user_data() == {42: {"draft": {"step": 3}}}
        assert await second.get_chat_data() == {42: {"seen": 1}}
    finally:
        await reopened.dispose()


@pytest.mark.parametrize(
    ("value", "problem"),
    [({"when": datetime(2025, 1, 1, tzinfo=UTC)}, "JSON-serialisable"), ({"dates": ("a", "b")}, "unchanged")],
)
async def test_values_that_are_not_json_are_refused_naming_the_key(
    database: Database, value: dict[str, Any], problem: str
) -> None:
    persistence = persistence_over(database)
    with pytest.raises(TypeError, match=rf"user_data\[42\].*{problem}"):
        await persistence.update_user_data(42, value)
    with pytest.raises(TypeError, match=r"chat_data\[-5\]"):
        await persistence.update_chat_data(-5, {1: "int key"})
    with pytest.raises(TypeError, match=r"'demo' \(1, 2\)"):
        await persistence.update_conversation("demo", (1, 2), object())
    assert await persistence.get_user_data() == {}


async def test_what_is_not_stored_and_what_is_refused(database: Database) -> None:
    persistence = persistence_over(database)
    assert persistence.store_data.bot_data is False
    assert persistence.store_data.callback_data is False
    assert await persistence.get_bot_data() == {}
    assert await persistence.get_callback_data() is None
    await persistence.update_bot_data({"runtime": object()})  # never written
    await persistence.flush()
    with pytest.raises(ValueError, match="too long"):
        await persistence.get_conversations("x" * 40)


def counting_writes(database: Database) -> list[str]:
    """The INSERT, UPDATE and DELETE statements sent to the database from now on."""
    seen: list[str] = []

    def executed(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            seen.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", executed)
    return seen


async def test_what_is_already_stored_is_not_written_again(database: Database) -> None:
    persistence = persistence_over(database)
    assert await persistence.get_user_data() == {}  # loaded at start: now it knows what is there
    written = counting_writes(database)
    await persistence.update_user_data(42, {})  # nothing, and nothing stored: no statement
    await persistence.update_user_data(42, {"draft": {"step": 1}})
    await persistence.update_user_data(42, {"draft": {"step": 1}})  # the same again
    await persistence.update_conversation("demo", (42, 42), 1)
    await persistence.update_conversation("demo", (42, 42), 1)
    assert len(written) == 2, written
    await persistence.update_user_data(42, {"draft": {"step": 2}})
    assert len(written) == 3
    assert await persistence_over(database).get_user_data() == {42: {"draft": {"step": 2}}}


async def test_collected_writes_land_in_the_callers_transaction(database: Database) -> None:
    persistence = persistence_over(database)
    async with database.session() as session:
        async with persistence.collect_writes(session) as collected:
            await persistence.update_user_data(42, {"draft": {"step": 1}})
            await persistence.update_conversation("demo", (42, 42), 1)
        assert len(collected) == 2
        assert await session.scalar(select(func.count()).select_from(ConversationState)) == 2
        await session.rollback()
    assert await persistence_over(database).get_user_data() == {}
    # Rolled back, so not remembered as stored: the next update writes it.
    async with database.session() as session:
        async with persistence.collect_writes(session) as collected:
            await persistence.update_user_data(42, {"draft": {"step": 1}})
        await session.commit()
        persistence.committed(collected)
    assert await persistence_over(database).get_user_data() == {42: {"draft": {"step": 1}}}


async def test_a_database_that_does_not_exist_yet_is_a_clear_error() -> None:
    def not_yet() -> Database:
        raise LookupError("opened in post_init")

    with pytest.raises(RuntimeError, match=r"before Application\.initialize"):
        await DatabasePersistence(not_yet).get_user_data()


# End to end: a real Application with a persistent ConversationHandler, Telegram replaced by a fake request.


class FakeTelegram(BaseRequest):
    """Answers getMe and sendMessage like the Bot API, without a network; records what the bot sent."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        parameters = request_data.parameters if request_data else {}
        result: object
        if endpoint == "getMe":
            result = {"id": 123, "is_bot": True, "first_name": "Wijkhulp", "username": "wijkhulp_bot"}
        elif endpoint == "sendMessage":
            self.sent.append(str(parameters["text"]))
            chat = {"id": parameters["chat_id"], "type": "private"}
            result = {"message_id": len(self.sent), "date": 1_700_000_000, "chat": chat, "text": parameters["text"]}
        else:
            return 400, json.dumps({"ok": False, "description": f"unexpected {endpoint}"}).encode()
        return 200, json.dumps({"ok": True, "result": result}).encode()


FIRST, SECOND = range(2)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    assert update.message and context.user_data is not None
    context.user_data["draft"] = []
    await update.message.reply_text("first?")
    return FIRST


async def first(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    assert update.message and update.message.text and context.user_data is not None
    context.user_data["draft"].append(update.message.text)
    await update.message.reply_text("second?")
    return SECOND


async def second(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    assert update.message and update.message.text and context.user_data is not None
    draft = [*context.user_data.pop("draft"), update.message.text]
    await update.message.reply_text("done: " + ", ".join(draft))
    return ConversationHandler.END


def build(
    database: Database, telegram: FakeTelegram, *, persist_each_update: bool
) -> Application[Any, Any, Any, Any, Any, Any]:
    application = (
        ApplicationBuilder().token("123:abc").updater(None).request(telegram).persistence(persistence_over(database))
    ).build()
    text = filters.TEXT & ~filters.COMMAND
    application.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("verzoek", start)],
            states={FIRST: [MessageHandler(text, first)], SECOND: [MessageHandler(text, second)]},
            fallbacks=[],
            name="demo",
            persistent=True,
        )
    )
    if persist_each_update:
        application.add_handler(TypeHandler(Update, persist_after_update), group=100)
    return application


def message(update_id: int, text: str) -> dict[str, Any]:
    person = {"id": 42, "first_name": "Anna"}
    body: dict[str, Any] = {
        "message_id": update_id,
        "date": 1_700_000_000 + update_id,
        "chat": {**person, "type": "private"},
        "from": {**person, "is_bot": False},
        "text": text,
    }
    if text.startswith("/"):
        body["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return {"update_id": update_id, "message": body}


async def feed(application: Application[Any, Any, Any, Any, Any, Any], update_id: int, text: str) -> None:
    await application.process_update(Update.de_json(message(update_id, text), application.bot))


@pytest.mark.parametrize("crash", [True, False], ids=["crash-after-step", "graceful-restart"])
async def test_a_conversation_continues_after_a_restart(database: Database, tmp_path: Path, crash: bool) -> None:
    telegram = FakeTelegram()
    before = build(database, telegram, persist_each_update=crash)
    await before.initialize()
    await feed(before, 1, "/verzoek")
    await feed(before, 2, "maandag")
    if crash:  # No shutdown: only what persist_after_update wrote survives.
        assert await persistence_over(database).get_conversations("demo") == {(42, 42): SECOND}
    else:
        await before.shutdown()
    await database.dispose()

    reopened = await open_database(tmp_path / "state.sqlite3")
    try:
        after = build(reopened, telegram, persist_each_update=crash)
        await after.initialize()
        assert after.user_data[42] == {"draft": ["maandag"]}
        await feed(after, 3, "dinsdag")
        assert telegram.sent == ["first?", "second?", "done: maandag, dinsdag"]
        await after.shutdown()
        assert await persistence_over(reopened).get_conversations("demo") == {}
        assert await persistence_over(reopened).get_user_data() == {}
    finally:
        await reopened.dispose()
