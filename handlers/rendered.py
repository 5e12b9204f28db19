"""What the outbox dispatcher sends for a notice: text and buttons, an edit, or a file with a caption; and
how a feature registers the function that renders one type of notice."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup

from bot.i18n import Translator
from bot.runtime import Runtime
from bot.services.notices import Notice
from db.models import Member


@dataclass(frozen=True)
class Rendered:
    """What to send, or to edit into an existing message."""

    text: str
    markup: InlineKeyboardMarkup | None = None
    edit_message_id: int | None = None
    fingerprint: str | None = None  # for copies of a request: what the recipient's message will show
    document: tuple[str, bytes] | None = None  # (file name, content): sent with `text` as its caption
    group_post_id: int | None = None  # for a request posted in a wijk group
    status_request_id: int | None = None  # for a requester's status message: its request records `fingerprint`
    offer_card_id: int | None = None  # for a requester's card of an offer: the offer records its message id
    alert_id: int | None = None  # for a coordinator's alert: it records its message id and `fingerprint`
    meeting_post_id: int | None = None  # for a meeting date in a wijk group: records its message id and `fingerprint`


@dataclass(frozen=True)
class ToGroup:
    """What a renderer has at send time: the database, the runtime, the reader's language (for a wijk
    group, the region's default language) and the outbox row's id (for the log)."""

    session: AsyncSession
    runtime: Runtime
    t: Translator
    row_id: int

    @property
    def now(self) -> datetime:
        """The clock's time now."""
        return self.runtime.clock.now()


@dataclass(frozen=True)
class ToMember(ToGroup):
    """A notice for one member, in their language; `recipient_id` is the copy of a request the row stands for."""

    member: Member
    recipient_id: int | None = None


N = TypeVar("N", bound=Notice)
Result = Awaitable[Rendered | None]  # None: no longer worth sending, the row is skipped


@dataclass(frozen=True)
class Renderer:
    """How one type of notice is rendered, and whether it goes to a wijk group rather than a member."""

    render: Callable[[Any, Any], Result]
    to_group: bool = False


Renderers = dict[type[Notice], Renderer]


def for_member(notice: type[N], render: Callable[[ToMember, N], Result]) -> tuple[type[Notice], Renderer]:
    """Register `render` for a notice to a member (skipped for someone who had their data removed)."""
    return notice, Renderer(render)


def for_group(notice: type[N], render: Callable[[ToGroup, N], Result]) -> tuple[type[Notice], Renderer]:
    """Register `render` for a notice posted in a wijk group."""
    return notice, Renderer(render, to_group=True)
