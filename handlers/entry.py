"""One way into a handler: `@command(...)` and `@press(...)` take the opening every handler used to repeat.

The wrapper opens the update's `Turn` (one session, the member, the language; committed at the end together
with the handled-update mark), unwraps the message or the callback query and its decoded `callback_data`,
loads the subject the rule is about, checks the rule of the permission table and gives the short refusal;
only then does the body run, with a `Said` or a `Press`:

    @press(Action.ACTION_DONE, rule=permissions.may_close_action, subject=load_point,
           refusal=N_("You cannot do that with this action point."))
    async def done(press: Press[ActionPoint]) -> None:
        changed = await mark_done(press.session, now=press.now, actor=press.actor, point=press.subject)

Every decorator records (kind, key, rule) in `REGISTRY`; tests/unit/test_entry_rules.py checks that it agrees
with `bot/permission_table.py`. `rule=` is enforced here; `checked_by=` names a check the body or the service
makes itself (its refusal depends on why, or it needs what only the service loads), so the table still names
what decides. A body may return a value (a ConversationHandler state); `otherwise=` is returned on a refusal.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar, cast, overload

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import CallbackQuery, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.i18n import N_, Translator
from db.models import Member
from handlers.callback_data import Action, Callback, decode, pattern
from handlers.context import BotContext, Turn, open_turn

S = TypeVar("S")
R = TypeVar("R")
Kind = Literal["command", "button"]
ANYONE = "anyone"  # the table's word for a row without a rule
STALE = N_("This button no longer works.")

MemberRule = Callable[[Member | None], bool]
# A subject loader gets the member who presses too, so that it can load their own part only (their invitation,
# not everyone's): a press costs the same whatever the number of people involved.
Loader = Callable[[AsyncSession, Callback, Member | None], Awaitable[S | None]]
# A refusal is a msgid, or chosen by who asks (a stranger is told how to join, a member why not).
Refusal = str | Callable[[Member | None], str]


def dotted(function: Callable[..., object]) -> str:
    """A function's dotted path, as the permission table writes it."""
    return f"{function.__module__}.{function.__qualname__}"


@dataclass(frozen=True)
class Declared:
    """What one decorated handler says about itself: which command or button, and what decides."""

    kind: Kind
    key: str
    rule: str  # dotted path of the predicate or check, or "anyone"
    handler: str
    enforced: bool  # checked by the wrapper (rule=) rather than by the body or service (checked_by=)


REGISTRY: list[Declared] = []


def _declare(kind: Kind, keys: Sequence[str], handler: Callable[..., object], rule: object, checked_by: object) -> None:
    if rule is not None and checked_by is not None:
        raise ValueError(f"{dotted(handler)}: rule= or checked_by=, not both")
    decides = rule if rule is not None else checked_by
    path = dotted(cast(Callable[..., object], decides)) if decides is not None else ANYONE
    for key in keys:
        REGISTRY.append(Declared(kind, key, path, dotted(handler), rule is not None))


def declare(
    kind: Kind,
    key: str,
    *,
    handler: Entry[Any],
    rule: Callable[..., bool] | None = None,
    checked_by: Callable[..., object] | None = None,
) -> None:
    """Another table row served by an already decorated handler (`/start` beside `/start CODE`)."""
    _declare(kind, [key], handler.__wrapped__, rule, checked_by)


def _refusal_text(t: Translator, refusal: Refusal, member: Member | None) -> str:
    return t.gettext(refusal if isinstance(refusal, str) else refusal(member))


@dataclass
class _Way:
    """What every way in carries: the turn, and the update and context for what is not wrapped (yet)."""

    turn: Turn
    update: Update
    context: BotContext

    @property
    def t(self) -> Translator:
        return self.turn.t

    @property
    def session(self) -> AsyncSession:
        return self.turn.session

    @property
    def now(self) -> datetime:
        return self.turn.now

    @property
    def member(self) -> Member | None:
        return self.turn.member

    @property
    def actor(self) -> Member:
        """The member, for bodies whose rule admits members only."""
        assert self.turn.member is not None, "the rule should have refused a stranger"
        return self.turn.member


@dataclass
class Said(_Way):
    """A command: the message it came in and its arguments."""

    message: Message
    args: list[str] = field(default_factory=list)

    async def reply(self, msgid: str) -> None:
        """A plain translated reply."""
        await self.message.reply_text(self.t.gettext(msgid))


@dataclass
class Press(_Way, Generic[S]):
    """A button press: the query (not answered yet), its parsed data and the subject the rule was checked on."""

    query: CallbackQuery
    data: Callback
    subject: S

    async def refuse(self, msgid: str, *, alert: bool = True) -> None:
        """A short translated answer to the press."""
        await self.query.answer(self.t.gettext(msgid), show_alert=alert)


class Entry(Generic[R]):
    """A decorated handler: PTB calls it with (update, context); `handler()` wires it."""

    def __init__(
        self,
        call: Callable[[Update, BotContext], Awaitable[R | None]],
        build: Callable[[Entry[R], dict[str, Any]], BaseHandler[Update, BotContext, Any]],
        body: Callable[..., object],
    ) -> None:
        self._call = call
        self._build = build
        self.__wrapped__ = body
        self.__name__ = getattr(body, "__name__", "entry")
        self.__doc__ = body.__doc__

    async def __call__(self, update: Update, context: BotContext) -> R | None:
        return await self._call(update, context)

    def handler(self, **options: Any) -> BaseHandler[Update, BotContext, Any]:
        """The PTB handler: a CommandHandler for the command's names, a CallbackQueryHandler for the actions."""
        return self._build(self, options)


class _CommandDecorator:
    def __init__(self, names: Sequence[str], key: str | None, rule: MemberRule | None,
                 checked_by: Callable[..., object] | None, refusal: Refusal, otherwise: object) -> None:  # fmt: skip
        self.names, self.key, self.rule, self.checked_by = list(names), key, rule, checked_by
        self.refusal, self.otherwise = refusal, otherwise

    def __call__(self, body: Callable[[Said], Awaitable[R]]) -> Entry[R]:
        _declare("command", [self.key or self.names[0]], body, self.rule, self.checked_by)
        rule, refusal, otherwise = self.rule, self.refusal, cast(R | None, self.otherwise)

        async def call(update: Update, context: BotContext) -> R | None:
            message = update.effective_message
            if message is None:
                return otherwise
            async with open_turn(update, context) as turn:
                if rule is not None and not rule(turn.member):
                    text = _refusal_text(turn.t, refusal, turn.member)
                    await turn.commit()
                    await message.reply_text(text)
                    return otherwise
                return await body(Said(turn, update, context, message, list(context.args or [])))

        names = self.names

        def build(entry: Entry[R], options: dict[str, Any]) -> BaseHandler[Update, BotContext, Any]:
            return CommandHandler(names, entry, **options)

        return Entry(call, build, body)


def command(
    *names: str,
    key: str | None = None,
    rule: MemberRule | None = None,
    checked_by: Callable[..., object] | None = None,
    refusal: Refusal = STALE,
    otherwise: object = None,
) -> _CommandDecorator:
    """A command (`names`, Dutch first; `key` is the table's key when it is not the first name). A refused
    command is told `refusal` in a reply, sent after the commit: in a group the reply may wait for the rate
    limit, and no database lock should wait with it. A refusal returns `otherwise` (a conversation state)."""
    return _CommandDecorator(names, key, rule, checked_by, refusal, otherwise)


class _PressDecorator(Generic[S]):
    def __init__(self, actions: Sequence[Action], rule: Callable[..., bool] | None, subject: Loader[S] | None,
                 checked_by: Callable[..., object] | None, refusal: Refusal, gone: Refusal, alert: bool,
                 otherwise: object) -> None:  # fmt: skip
        self.actions, self.rule, self.subject, self.checked_by = list(actions), rule, subject, checked_by
        self.refusal, self.gone, self.alert, self.otherwise = refusal, gone, alert, otherwise

    def __call__(self, body: Callable[[Press[S]], Awaitable[R]]) -> Entry[R]:
        _declare("button", [action.name for action in self.actions], body, self.rule, self.checked_by)
        rule, subject, refusal, gone, alert = self.rule, self.subject, self.refusal, self.gone, self.alert
        otherwise = cast(R | None, self.otherwise)

        async def call(update: Update, context: BotContext) -> R | None:
            query = update.callback_query
            if query is None:
                return otherwise
            data = decode(query.data)
            async with open_turn(update, context) as turn:
                thing = (
                    await subject(turn.session, data, turn.member) if subject is not None and data is not None else None
                )
                if data is None or (subject is not None and thing is None):
                    await turn.commit()  # no database lock waits for Telegram's answer (updates run side by side)
                    await query.answer(_refusal_text(turn.t, gone, turn.member), show_alert=alert)
                    return otherwise
                allowed = rule is None or (rule(turn.member, thing) if subject is not None else rule(turn.member))
                if not allowed:
                    await turn.commit()
                    await query.answer(_refusal_text(turn.t, refusal, turn.member), show_alert=alert)
                    return otherwise
                return await body(Press(turn, update, context, query, data, cast(S, thing)))

        actions = self.actions

        def build(entry: Entry[R], options: dict[str, Any]) -> BaseHandler[Update, BotContext, Any]:
            return CallbackQueryHandler(entry, pattern=pattern(*actions), **options)

        return Entry(call, build, body)


@overload
def press(
    *actions: Action,
    subject: Loader[S],
    rule: Callable[[Member | None, S], bool] | None = None,
    checked_by: Callable[..., object] | None = None,
    refusal: Refusal = STALE,
    gone: Refusal | None = None,
    alert: bool = True,
    otherwise: object = None,
) -> _PressDecorator[S]: ...


@overload
def press(
    *actions: Action,
    rule: MemberRule | None = None,
    checked_by: Callable[..., object] | None = None,
    refusal: Refusal = STALE,
    gone: Refusal | None = None,
    alert: bool = True,
    otherwise: object = None,
) -> _PressDecorator[None]: ...


def press(
    *actions: Action,
    rule: Callable[..., bool] | None = None,
    subject: Loader[Any] | None = None,
    checked_by: Callable[..., object] | None = None,
    refusal: Refusal = STALE,
    gone: Refusal | None = None,
    alert: bool = True,
    otherwise: object = None,
) -> _PressDecorator[Any]:
    """A button press on one of `actions`. Data that does not parse, or a `subject` that is not there, is
    answered `gone` (default: `refusal`); a press the rule refuses is answered `refusal` (`show_alert=alert`).
    With a `subject` loader the rule is called as `rule(member, subject)`, else as `rule(member)`. The body
    answers the query itself, exactly once (Telegram refuses a second answer). A refusal returns `otherwise`."""
    missing = gone if gone is not None else refusal
    return _PressDecorator(actions, rule, subject, checked_by, refusal, missing, alert, otherwise)


def first_id(loader: Callable[[AsyncSession, int | None], Awaitable[S | None]]) -> Loader[S]:
    """A subject loader from a `load_x(session, id)` service: the id is the press's first argument."""

    async def load(session: AsyncSession, data: Callback, member: Member | None) -> S | None:
        return await loader(session, data.int_arg(0))

    load.__qualname__ = f"first_id({loader.__qualname__})"
    return load


def own_first_id(loader: Callable[[AsyncSession, int | None, Member | None], Awaitable[S | None]]) -> Loader[S]:
    """A subject loader from a `load_x(session, id, member)` service that loads the presser's own part only."""

    async def load(session: AsyncSession, data: Callback, member: Member | None) -> S | None:
        return await loader(session, data.int_arg(0), member)

    load.__qualname__ = f"own_first_id({loader.__qualname__})"
    return load


__all__ = [
    "ANYONE",
    "REGISTRY",
    "STALE",
    "Entry",
    "Press",
    "Said",
    "command",
    "declare",
    "first_id",
    "own_first_id",
    "press",
]
