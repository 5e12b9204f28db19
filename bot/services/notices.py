"""Notices: the messages to third parties that services put in the outbox, one small type per kind.

A notice says what happened and to what (ids only); how it reads is decided when it is sent, in the
reader's language, by the renderer the handlers register for its type. It is stored as today's `kind`
string and a JSON dict of its fields (`params`), so rows written before these types existed still decode.
A field with a default may be missing from an old row; a field that is None is left out of the row.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Self


class NoticeError(ValueError):
    """A stored row that is not a notice this version knows: an unknown kind or params that do not fit."""


@dataclass(frozen=True)
class Notice:
    """Base of all notices: `kind` names the type in the stored row."""

    kind: ClassVar[str]
    at_most_once: ClassVar[bool] = False  # a duplicate is worse than a miss: see bot/services/outbox.py

    def to_params(self) -> dict[str, Any]:
        """The stored form of the fields: ids, flags, datetimes as ISO text, tuples as lists."""
        return {
            field.name: _stored(value)
            for field in dataclasses.fields(self)
            if (value := getattr(self, field.name)) is not None
        }

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Self:
        """Rebuild the notice from its stored fields; NoticeError when they do not fit."""
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):
            if field.name in params and params[field.name] is not None:
                values[field.name] = _read(_hints(cls)[field.name], params[field.name], cls.kind, field.name)
            elif field.default is dataclasses.MISSING:
                raise NoticeError(f"{cls.kind}: {field.name} missing")
        return cls(**values)


def _stored(value: object) -> object:
    """One field value as JSON takes it."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


_HINTS: dict[type[Notice], dict[str, Any]] = {}


def _hints(cls: type[Notice]) -> dict[str, Any]:
    """The field types of a notice class, resolved once."""
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _read(hint: Any, value: object, kind: str, name: str) -> object:
    """One stored value back in its field's type (the type besides None, for an optional field)."""
    wanted = next(t for t in typing.get_args(hint) or (hint,) if t is not type(None))
    read = _READERS[typing.get_origin(wanted) or wanted](value)
    if read is None:
        raise NoticeError(f"{kind}: {name}={value!r} does not fit")
    return read


def _id(value: object) -> int | None:
    """An id (JSON has no separate bool, so a flag is not one)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _flag(value: object) -> bool | None:
    """A yes or no."""
    return value if isinstance(value, bool) else None


def _ids(value: object) -> tuple[int, ...] | None:
    """A list of ids, as a tuple."""
    if isinstance(value, list) and all(_id(item) is not None for item in value):
        return tuple(value)
    return None


def _moment(value: object) -> datetime | None:
    """A moment stored as ISO text."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _word(value: object) -> str | None:
    """A short word naming a choice (never free text: notices carry ids and names of choices only)."""
    return value if isinstance(value, str) and len(value) <= 40 else None


_READERS: dict[Any, Callable[[object], object | None]] = {
    int: _id,
    bool: _flag,
    tuple: _ids,
    datetime: _moment,
    str: _word,
}


# Requests: copies for the people asked, posts in wijk groups, and what their makers hear.


@dataclass(frozen=True)
class RequestNew(Notice):
    """A fresh copy of a request for one person asked (the row's recipient)."""

    kind = "request.new"
    request_id: int


@dataclass(frozen=True)
class RequestRefresh(Notice):
    """A delivered copy of a request edited to the request as it is now."""

    kind = "request.refresh"
    request_id: int
    message_id: int


@dataclass(frozen=True)
class RequestSuperseded(Notice):
    """An older copy edited into a pointer to the fresh one below (`again`: re-sent, not changed)."""

    kind = "request.superseded"
    request_id: int
    message_id: int
    again: bool = False


@dataclass(frozen=True)
class RequestGroup(Notice):
    """A request posted in a wijk group, or its post edited (`message_id`) to the request as it is now."""

    kind = "request.group"
    request_id: int
    group_post_id: int
    message_id: int | None = None


@dataclass(frozen=True)
class RequestStatusEdit(Notice):
    """The requester's status message edited to where the request stands: its round, or filled, closed,
    cancelled (and no "ask more widely" button any more)."""

    kind = "request.status"
    request_id: int
    message_id: int


@dataclass(frozen=True)
class RequestWidened(Notice):
    """To the requester: the ladder started a wider round by itself."""

    kind = "request.widened"
    request_id: int
    round_no: int


@dataclass(frozen=True)
class RequestAlert(Notice):
    """To a coordinator: the request is still open after the last round; or, with `message_id`, that alert
    edited to where the request stands now (filled, cancelled, closed, or open again)."""

    kind = "request.alert"
    request_id: int
    alert_id: int | None = None  # RequestAlertMessage (None in rows stored before alerts were followed)
    message_id: int | None = None


@dataclass(frozen=True)
class RequestHandedOver(Notice):
    """To a colleague: a request is now theirs, because its poster left."""

    kind = "request.handed_over"
    request_id: int


@dataclass(frozen=True)
class RequestCancelled(Notice):
    """To someone who offered: the request was cancelled."""

    kind = "request.cancelled"
    request_id: int
    offer_id: int


@dataclass(frozen=True)
class RequestCancelledBy(Notice):
    """To the requester: someone else who may act for the request (a coordinator, a colleague) cancelled it."""

    kind = "request.cancelled_by"
    request_id: int
    actor_member_id: int


# Offers: what the requester and the helpers hear.


@dataclass(frozen=True)
class OfferReceived(Notice):
    """To the requester: a new offer, with buttons to accept or decline it."""

    kind = "offer.received"
    request_id: int
    offer_id: int


@dataclass(frozen=True)
class OfferAccepted(Notice):
    """To the helper: their offer was accepted."""

    kind = "offer.accepted"
    request_id: int
    offer_id: int


@dataclass(frozen=True)
class OfferCardEdit(Notice):
    """The requester's card of an offer edited to what became of the offer (no Accept once it is decided,
    withdrawn or lapsed); `decided_by` names who decided when it was not the requester."""

    kind = "offer.card"
    request_id: int
    offer_id: int
    message_id: int
    decided_by: int | None = None


@dataclass(frozen=True)
class OfferFilledByOther(Notice):
    """To a helper: someone else fills what they offered, or (`booked_elsewhere`) their offer lapsed because
    they were booked at those times for another request meanwhile."""

    kind = "offer.filled_by_other"
    request_id: int
    offer_id: int
    booked_elsewhere: bool = False


@dataclass(frozen=True)
class OfferDeclined(Notice):
    """To a helper: the practice declined their offer."""

    kind = "offer.declined"
    request_id: int
    offer_id: int


@dataclass(frozen=True)
class OfferWithdrawn(Notice):
    """To the requester: a helper withdrew; `slot_ids` when only some of their day-parts are open again."""

    kind = "offer.withdrawn"
    request_id: int
    offer_id: int
    was_accepted: bool = False
    slot_ids: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Digest(Notice):
    """To a coordinator: the morning list of what is open in the region."""

    kind = "digest"
    region_id: int


@dataclass(frozen=True)
class MonthlyReport(Notice):
    """To a coordinator: the figures of the month before, with the table."""

    kind = "monthly_report"
    region_id: int
    year: int
    month: int


# Meetings and action points.


@dataclass(frozen=True)
class MeetingInvite(Notice):
    """An invitation to one date of a meeting."""

    kind = "meeting.invite"
    occurrence_id: int


@dataclass(frozen=True)
class MeetingIcs(Notice):
    """The calendar file of one date (or of its series), as it is now; `withdrawn`: cancelling it for a reader
    who is no longer invited (the audience changed)."""

    kind = "meeting.ics"
    occurrence_id: int
    withdrawn: bool = False


@dataclass(frozen=True)
class MeetingUninvited(Notice):
    """To someone the meeting (or series) is no longer for: its audience changed."""

    kind = "meeting.uninvited"
    occurrence_id: int


@dataclass(frozen=True)
class MeetingMoved(Notice):
    """A date moved to another time."""

    kind = "meeting.moved"
    occurrence_id: int


@dataclass(frozen=True)
class MeetingUpdated(Notice):
    """A date's details changed; `changed` names the one detail changed from the chat (services.meeting_changes
    .Detail), None for a re-imported schedule (any of them)."""

    kind = "meeting.updated"
    occurrence_id: int
    changed: str | None = None


@dataclass(frozen=True)
class MeetingCancelled(Notice):
    """A date does not take place."""

    kind = "meeting.cancelled"
    occurrence_id: int


@dataclass(frozen=True)
class MeetingReminderDue(Notice):
    """A reminder of a date, for the reminder due at `due_at` (`late`: sent well after that)."""

    kind = "meeting.reminder"
    at_most_once = True
    occurrence_id: int
    reminder_id: int
    due_at: datetime
    late: bool = False


@dataclass(frozen=True)
class MeetingNudge(Notice):
    """To an invitee who has not answered: will you come? Sent once automatically before the date, or when the
    organiser (`by_member_id`) asks for it; a duplicate nags, so it is sent at most once."""

    kind = "meeting.nudge"
    at_most_once = True
    occurrence_id: int
    by_member_id: int | None = None


@dataclass(frozen=True)
class MeetingGroup(Notice):
    """A meeting date posted in a linked wijk group with the counts, or its post edited (`message_id`) to the
    counts as they are now."""

    kind = "meeting.group"
    occurrence_id: int
    group_post_id: int
    message_id: int | None = None


@dataclass(frozen=True)
class ActionAssigned(Notice):
    """A new action point for the reader or their practice."""

    kind = "action.assigned"
    action_id: int


@dataclass(frozen=True)
class ActionDueSoon(Notice):
    """An action point's reminder: it is due soon."""

    kind = "action.reminder"
    at_most_once = True
    action_id: int


@dataclass(frozen=True)
class ActionDone(Notice):
    """To whoever recorded an action point, and to its meeting's organiser: it was marked done."""

    kind = "action.done"
    action_id: int


KINDS: dict[str, type[Notice]] = {
    cls.kind: cls
    for cls in (
        RequestNew,
        RequestRefresh,
        RequestSuperseded,
        RequestGroup,
        RequestStatusEdit,
        RequestWidened,
        RequestAlert,
        RequestHandedOver,
        RequestCancelled,
        RequestCancelledBy,
        OfferReceived,
        OfferCardEdit,
        OfferAccepted,
        OfferFilledByOther,
        OfferDeclined,
        OfferWithdrawn,
        Digest,
        MonthlyReport,
        MeetingInvite,
        MeetingIcs,
        MeetingMoved,
        MeetingUninvited,
        MeetingUpdated,
        MeetingCancelled,
        MeetingReminderDue,
        MeetingNudge,
        MeetingGroup,
        ActionAssigned,
        ActionDueSoon,
        ActionDone,
    )
}

AT_MOST_ONCE_KINDS = frozenset(kind for kind, cls in KINDS.items() if cls.at_most_once)


def from_row(kind: str, params: dict[str, Any]) -> Notice:
    """The notice a stored row holds; NoticeError for a kind this version does not know or params that do
    not fit it."""
    cls = KINDS.get(kind)
    if cls is None:
        raise NoticeError(f"unknown kind {kind}")
    return cls.from_params(params)
