"""python-telegram-bot persistence in the database: conversation states, user_data and chat_data as JSON rows.

State that matters lives in the database, so a restart in the middle of a guided conversation loses nothing.
bot_data (live runtime objects) and callback_data (the project has its own scheme) are never stored.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import Application, BasePersistence, CallbackContext, PersistenceInput

from db.models import ConversationState
from db.session import Database

USER_DATA = "user_data"
CHAT_DATA = "chat_data"
CONVERSATION_PREFIX = "conv:"
_NAMESPACE_LENGTH = 32  # ConversationState.namespace is String(32)
_KEY_LENGTH = 200  # ConversationState.key is String(200)

# PTB's own aliases (telegram.ext._utils.types is private).
ConversationKey = tuple[int | str, ...]
CDCData = tuple[list[tuple[str, float, dict[str, Any]]], dict[str, str]]


@dataclass(frozen=True)
class StateWrite:
    """One row of PTB state to write (data) or delete (None), and its JSON text for the change cache."""

    namespace: str
    key: str
    data: dict[str, Any] | None
    text: str | None


# Set by `collect_writes`: the writes PTB asks for land in this list instead of their own transactions.
_collecting: ContextVar[list[StateWrite] | None] = ContextVar("persistence_collecting", default=None)


_UNKNOWN = "\x00unknown"  # not loaded or written by this process: write it
_DELETED = "\x00deleted"  # known to have no row


def _text(data: object) -> str:
    """The JSON text the change cache compares."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def _json_copy(value: object, what: str) -> Any:
    """A JSON copy of value; TypeError naming `what` if it is not JSON or would not come back the same."""
    try:
        copy = json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{what} is not JSON-serialisable ({exc}); keep only dict/list/str/int/float/bool/None"
        ) from exc
    if copy != value:
        raise TypeError(f"{what} does not survive JSON unchanged (tuples, non-str dict keys?); use lists and str keys")
    return copy


class DatabasePersistence(BasePersistence[dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Stores ConversationHandler states, user_data and chat_data in the `conversation_state` table.

    The Database must exist BEFORE `Application.initialize()` (which `run_polling` calls before `post_init`):
    initialize() loads user_data, chat_data and every persistent conversation through the get_* methods, so
    open the Database (and migrate it, the table must exist) before initialize, not in post_init, and dispose
    it only after `Application.shutdown()` (post_shutdown is fine), which writes the last state.
    `database_provider` is called on every access; if it fails, a RuntimeError says so.

    Every update_* call writes through in one short transaction, so nothing is pending and flush() has
    nothing to do. Note PTB calls update_* only from `Application.update_persistence()`: every
    `update_interval` seconds and on stop/shutdown. For a step to survive a crash right after it, register
    `persist_after_update` (below) in a handler group after all others, or use a small update_interval; or,
    to write the state in a transaction of your own (the bot's end-of-update step), `collect_writes`.

    A value equal to what is already stored is not written again: PTB hands over every user's and chat's data
    after every update, changed or not, and most updates change nothing. The cache of what is stored holds
    the JSON text of each row this process loaded or wrote (this process is the only writer of its rows).
    """

    def __init__(self, database_provider: Callable[[], Database], update_interval: float = 60) -> None:
        super().__init__(
            store_data=PersistenceInput(bot_data=False, chat_data=True, user_data=True, callback_data=False),
            update_interval=update_interval,
        )
        self._database_provider = database_provider
        self._stored: dict[tuple[str, str], str] = {}  # JSON text of the rows known to be in the database
        self._complete: set[str] = set()  # namespaces loaded whole: a key not in _stored has no row

    def _database(self) -> Database:
        try:
            database = self._database_provider()
        except Exception as exc:
            raise RuntimeError(
                "DatabasePersistence: the Database is not available; it must exist before Application.initialize()"
            ) from exc
        if database is None:
            raise RuntimeError("DatabasePersistence: the database provider returned None")
        return database

    async def _load(self, namespace: str) -> dict[str, dict[str, Any]]:
        async with self._database().session() as session, session.begin():
            rows = await session.execute(select(ConversationState).where(ConversationState.namespace == namespace))
            loaded = {row.key: row.data for row in rows.scalars()}
        for key, data in loaded.items():
            self._stored[(namespace, key)] = _text(data)
        self._complete.add(namespace)
        return loaded

    async def _write(self, namespace: str, key: str, data: dict[str, Any] | None) -> None:
        """Upsert (or delete, for None) one row, unless the database already holds exactly that: in the
        transaction of `collect_writes` if one is collecting, else in a short one of its own."""
        text = None if data is None else _text(data)
        known = self._stored.get((namespace, key), _DELETED if namespace in self._complete else _UNKNOWN)
        if known == (_DELETED if text is None else text):
            return
        write = StateWrite(namespace, key, data, text)
        collected = _collecting.get()
        if collected is not None:
            collected.append(write)
            return
        database = self._database()
        async with database.session() as session, session.begin():
            await self._apply(session, write)
        self._remember([write])

    @staticmethod
    async def _apply(session: AsyncSession, write: StateWrite) -> None:
        if write.data is None:
            await session.execute(
                delete(ConversationState)
                .where(ConversationState.namespace == write.namespace, ConversationState.key == write.key)
                .execution_options(synchronize_session=False)  # no loaded rows to keep in step
            )
        else:
            dialect = session.get_bind().dialect.name
            await DatabasePersistence._upsert(session, dialect, write.namespace, write.key, write.data)

    def _remember(self, writes: list[StateWrite]) -> None:
        """After the commit: the database now holds these."""
        for write in writes:
            where = (write.namespace, write.key)
            if write.text is not None:
                self._stored[where] = write.text
            elif write.namespace in self._complete:
                self._stored.pop(where, None)
            else:
                self._stored[where] = _DELETED

    @asynccontextmanager
    async def collect_writes(self, session: AsyncSession) -> AsyncIterator[list[StateWrite]]:
        """Within the block, writes PTB asks for (`Application.update_persistence()`) are made in `session`'s
        transaction instead of one transaction each; the caller commits, then hands the yielded list to
        `committed`, so that the change cache learns of them only once they are in the database."""
        collected: list[StateWrite] = []
        token = _collecting.set(collected)
        try:
            yield collected
        finally:
            _collecting.reset(token)
        for write in collected:
            await self._apply(session, write)

    def committed(self, writes: list[StateWrite]) -> None:
        """The writes of `collect_writes` were committed."""
        self._remember(writes)

    @staticmethod
    async def _upsert(session: AsyncSession, dialect: str, namespace: str, key: str, data: dict[str, Any]) -> None:
        values = {"namespace": namespace, "key": key, "data": data}
        primary_key = [ConversationState.namespace, ConversationState.key]
        if dialect == "sqlite":
            lite = sqlite.insert(ConversationState).values(**values)
            await session.execute(
                lite.on_conflict_do_update(index_elements=primary_key, set_={"data": lite.excluded.data})
            )
        elif dialect == "postgresql":
            pg = postgresql.insert(ConversationState).values(**values)
            await session.execute(pg.on_conflict_do_update(index_elements=primary_key, set_={"data": pg.excluded.data}))
        else:  # Select-then-insert/update in this transaction.
            await session.merge(ConversationState(**values))

    async def _write_data(self, namespace: str, ident: int, data: dict[Any, Any]) -> None:
        copy = _json_copy(data, f"{namespace}[{ident}]")
        await self._write(namespace, str(ident), copy or None)  # An empty dict is the same as no row.

    # user_data and chat_data

    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        return {int(key): data for key, data in (await self._load(USER_DATA)).items()}

    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        return {int(key): data for key, data in (await self._load(CHAT_DATA)).items()}

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        await self._write_data(USER_DATA, user_id, data)

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        await self._write_data(CHAT_DATA, chat_id, data)

    async def drop_user_data(self, user_id: int) -> None:
        await self._write(USER_DATA, str(user_id), None)

    async def drop_chat_data(self, chat_id: int) -> None:
        await self._write(CHAT_DATA, str(chat_id), None)

    async def refresh_user_data(self, user_id: int, user_data: dict[Any, Any]) -> None:
        """Nothing: with one process it is the only writer, so memory is up to date; several workers read their
        rows again per update (`reload`, from handlers/workers.py)."""

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        """Nothing: see refresh_user_data."""

    # conversations: namespace "conv:<handler name>", key the JSON text of the key tuple, data {"state": ...}

    @staticmethod
    def _conversation_namespace(name: str) -> str:
        namespace = CONVERSATION_PREFIX + name
        if len(namespace) > _NAMESPACE_LENGTH:
            raise ValueError(f"ConversationHandler name {name!r} is too long to persist (max {_NAMESPACE_LENGTH - 5})")
        return namespace

    async def get_conversations(self, name: str) -> dict[ConversationKey, object]:
        rows = await self._load(self._conversation_namespace(name))
        return {tuple(json.loads(key)): data["state"] for key, data in rows.items()}

    async def update_conversation(self, name: str, key: ConversationKey, new_state: object | None) -> None:
        namespace = self._conversation_namespace(name)
        encoded_key = json.dumps(list(key), separators=(",", ":"))
        if len(encoded_key) > _KEY_LENGTH:
            raise ValueError(f"conversation {name!r} key {key!r} is too long to persist")
        state = None if new_state is None else {"state": _json_copy(new_state, f"state of {name!r} {key!r}")}
        await self._write(namespace, encoded_key, state)

    # several workers: what another worker may have written, read again before each update

    async def reload(self, rows: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any] | None]:
        """The stored data of these rows (namespace, key), None where there is no row, in one query; the change
        cache learns them, so that an unchanged value is still not written back."""
        found: dict[tuple[str, str], dict[str, Any] | None] = dict.fromkeys(rows)
        if not rows:
            return found
        async with self._database().reader() as session, session.begin():
            result = await session.execute(
                select(ConversationState.namespace, ConversationState.key, ConversationState.data).where(
                    tuple_(ConversationState.namespace, ConversationState.key).in_(rows)
                )
            )
            for namespace, key, data in result:
                found[(namespace, key)] = data
        for where, data in found.items():
            if data is not None:
                self._stored[where] = _text(data)
            elif where[0] in self._complete:
                self._stored.pop(where, None)
            else:
                self._stored[where] = _DELETED
        return found

    def conversation_row(self, name: str, key: ConversationKey) -> tuple[str, str]:
        """Where a conversation's state is stored."""
        return self._conversation_namespace(name), json.dumps(list(key), separators=(",", ":"))

    # bot_data and callback_data are not stored

    async def get_bot_data(self) -> dict[Any, Any]:
        return {}

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        """Nothing: bot_data holds live runtime objects and is never persisted."""

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        """Nothing: bot_data is never persisted."""

    async def get_callback_data(self) -> CDCData | None:
        return None

    async def update_callback_data(self, data: CDCData) -> None:
        """Nothing: the project has its own callback_data scheme."""

    async def flush(self) -> None:
        """Nothing pending: every update_* call has already been written."""


async def persist_after_update(update: object, context: CallbackContext[Any, Any, Any, Any]) -> None:
    """Handler callback (e.g. `TypeHandler(Update, persist_after_update)` in the last group) that writes the
    state this update changed right away, instead of at the next `update_interval`."""
    application: Application[Any, Any, Any, Any, Any, Any] = context.application
    if isinstance(update, Update):
        application.mark_data_for_update_persistence(
            chat_ids=update.effective_chat.id if update.effective_chat else None,
            user_ids=update.effective_user.id if update.effective_user else None,
        )
    await application.update_persistence()


async def end_conversation_with(
    session: AsyncSession, *, name: str, key: ConversationKey, user_id: int, user_data: dict[Any, Any]
) -> None:
    """In the caller's transaction: the conversation `name` has ended for `key`, and the user's data is now
    `user_data`. A step that commits a change (a request posted) writes its end together with the change:
    PTB persists the new state only after the handler returns, and a crash in between would bring the
    finished form back, so that pressing its button again would post it twice."""
    namespace = DatabasePersistence._conversation_namespace(name)
    encoded_key = json.dumps(list(key), separators=(",", ":"))
    await session.execute(
        delete(ConversationState).where(ConversationState.namespace == namespace, ConversationState.key == encoded_key)
    )
    copy = _json_copy(user_data, f"{USER_DATA}[{user_id}]")
    if copy:
        await DatabasePersistence._upsert(session, session.get_bind().dialect.name, USER_DATA, str(user_id), copy)
    else:
        await session.execute(
            delete(ConversationState).where(
                ConversationState.namespace == USER_DATA, ConversationState.key == str(user_id)
            )
        )
