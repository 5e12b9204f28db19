"""The one place that defines `callback_data`: short, versioned, language-free, and parsed as untrusted input.

Format: `v1:<action>:<arg>[:<arg>...]`, at most 64 bytes (Telegram's limit). A press whose data does not
parse, names an unknown action or an old version is stale or forged and gets a short answer.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

VERSION = "v1"
MAX_BYTES = 64
# Used with fullmatch: "$" alone would also accept an argument with a trailing newline.
_ARG = re.compile(r"[A-Za-z0-9_\-]{1,40}")


class Action(enum.StrEnum):
    """Every button action; the values are what travels in callback_data."""

    JOIN_CONFIRM = "jy"
    JOIN_DECLINE = "jn"
    LANGUAGE = "lang"
    INVITE_WIJK = "iw"
    INVITE_PRACTICE = "ip"
    INVITE_ROLE = "ir"
    INVITE_BACK = "ib"
    PHONE = "ph"
    CALENDAR_FEED = "cf"
    REQUEST_STEP = "rq"
    OFFER_ALL = "oa"
    OFFER_PICK = "op"
    OFFER_SOME = "os"
    OFFER_BACK = "ob"
    CANT = "oc"
    ACCEPT = "ac"
    DECLINE_OFFER = "ad"
    WITHDRAW = "ow"
    CANCEL_REQUEST = "cr"
    ADD_DAYS = "xd"
    WIDEN = "wn"
    AVAILABILITY = "av"
    LINK_GROUP = "lg"
    NUDGE = "np"
    MEETING_STEP = "ms"
    MEETING_RSVP = "mr"
    MEETING_SHOW = "mv"
    MEETING_MOVE = "mm"
    MEETING_CANCEL = "mc"
    MEETING_EDIT_MENU = "mh"
    MEETING_EDIT = "me"
    MEETING_CANCEL_ALL = "mk"
    MEETING_PAGE = "mp"
    MEETING_NUDGE = "mn"
    ACTION_ADD = "ma"
    ACTION_STEP = "mt"
    ACTION_DONE = "md"
    AUDIT = "au"
    DELETE_ME = "dm"
    FIGURES = "fg"
    FIGURES_FILE = "ff"  # kind (csv, pdf), the period as YYYYMM (yYYYYMM: 12 months to it), the scope


@dataclass(frozen=True)
class Callback:
    """A parsed press: which action, with which arguments (still to be checked by the handler)."""

    action: Action
    args: tuple[str, ...]

    def int_arg(self, index: int) -> int | None:
        """Argument `index` as a positive int, or None if absent or not a number."""
        if index >= len(self.args) or not self.args[index].isdigit() or len(self.args[index]) > 12:
            return None
        return int(self.args[index])


FROM_LIST = "l"  # last argument of an accept/decline button in /mijnverzoeken (not on the offer's own card)


def encode(action: Action, *args: str | int) -> str:
    """Build callback_data; refuses what would break the scheme or Telegram's limit."""
    parts = [str(arg) for arg in args]
    for part in parts:
        if not _ARG.fullmatch(part):
            raise ValueError(f"callback argument {part!r} is not allowed")
    data = ":".join([VERSION, action.value, *parts])
    if len(data.encode()) > MAX_BYTES:
        raise ValueError("callback_data longer than 64 bytes")
    return data


def decode(data: str | None) -> Callback | None:
    """Parse callback_data; None for anything stale, forged or malformed."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    version, _, rest = data.partition(":")
    if version != VERSION:
        return None
    action_code, *args = rest.split(":")
    try:
        action = Action(action_code)
    except ValueError:
        return None
    if not all(_ARG.fullmatch(arg) for arg in args):
        return None
    return Callback(action, tuple(args))


def pattern(*actions: Action) -> str:
    """The CallbackQueryHandler pattern for one or more actions."""
    names = "|".join(re.escape(action.value) for action in actions)
    return rf"^{VERSION}:(?:{names})(:|$)"
