"""How the ladder looks to the requester: which round runs, when the next starts, and "ask more widely now"."""

from __future__ import annotations

from datetime import datetime
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.config import Settings
from bot.i18n import N_, Translator
from bot.services.ladder import Waits
from bot.services.requests import LAST_ROUND
from db.models import RequestStatus, ShortageRequest
from handlers.callback_data import Action, encode

ROUND_LABELS: dict[int, str] = {
    1: N_("partners and people available in wijk {wijk}"),
    2: N_("everyone in wijk {wijk}"),
    3: N_("adjacent wijken and the student pool"),
    4: N_("the whole region"),
}


def waits_of(settings: Settings) -> Waits:
    """The ladder's waits from the settings."""
    return Waits.from_minutes(settings.escalation_minutes_spoed, settings.escalation_minutes_normaal)


def round_line(t: Translator, request: ShortageRequest) -> str:
    """`Ronde 2 van 4: iedereen in wijk X; om 14:00 vraag ik breder.`"""
    label = t.gettext(ROUND_LABELS[request.round]).format(wijk=escape(request.wijk.name))
    line = t.gettext("Round {round} of {last}: {label}.").format(round=request.round, last=LAST_ROUND, label=label)
    if request.next_round_at is not None and request.status == RequestStatus.OPEN:
        when = request.next_round_at.astimezone(t.zone).strftime("%H:%M")
        line += " " + t.gettext("If it is still open at {time}, I ask more widely.").format(time=when)
    return line


def widen_button(t: Translator, request: ShortageRequest) -> InlineKeyboardButton | None:
    """The "ask more widely now" button, while there is a wider round left."""
    if request.status != RequestStatus.OPEN or request.round >= LAST_ROUND:
        return None
    label = t.gettext("Ask more widely now (#{id})").format(id=request.id)
    return InlineKeyboardButton(label, callback_data=encode(Action.WIDEN, request.id))


STATUS_TEXTS: dict[RequestStatus, str] = {
    RequestStatus.FILLED: N_("Request #{id} is filled. /mijnverzoeken shows who fills what."),
    RequestStatus.CLOSED: N_("Request #{id} is closed: its time has passed."),
    RequestStatus.CANCELLED: N_("Request #{id} is cancelled."),
}


def status_message(
    t: Translator, request: ShortageRequest, asked: int, waiting: int = 0, until: datetime | None = None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The requester's status message as the request stands now: as right after sending while it is open (the
    round, how many have it and by when the rest do, "ask more widely" while a round is left), one line once it
    is over."""
    if request.status == RequestStatus.OPEN:
        return posted_message(t, request, asked, waiting, until)
    return t.gettext(STATUS_TEXTS[request.status]).format(id=request.id), None


def widened_text(t: Translator, request: ShortageRequest, round_no: int) -> str:
    """To the requester when the ladder widens by itself."""
    label = t.gettext(ROUND_LABELS[round_no]).format(wijk=escape(request.wijk.name))
    return t.gettext("Request #{id} is still open: I now also ask {label}.").format(id=request.id, label=label)


def posted_message(
    t: Translator, request: ShortageRequest, asked: int, waiting: int = 0, until: datetime | None = None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """What the requester reads right after sending: how many have it now, and how many get it after their quiet
    hours, at what time (`waiting` of the `asked`, the last at `until`)."""
    if asked and waiting and until is not None:
        text = t.ngettext(
            "Request #{id} is ready for {count} person.", "Request #{id} is ready for {count} people.", asked
        ).format(id=request.id, count=asked)
        text += " " + t.gettext("Has it now: {now}. After their quiet hours, by {time}: {waiting}.").format(
            now=asked - waiting, waiting=waiting, time=until.astimezone(t.zone).strftime("%H:%M")
        )
    elif asked:
        text = t.ngettext(
            "Request #{id} is sent to {count} person.", "Request #{id} is sent to {count} people.", asked
        ).format(id=request.id, count=asked)
    else:
        text = t.gettext(
            "Request #{id} is saved, but nobody in the region with this role is on Wijkhulp yet; "
            "the regional coordinator is told."
        ).format(id=request.id)
    lines = [text, round_line(t, request), t.gettext("You get each offer here; /mijnverzoeken shows the status.")]
    button = widen_button(t, request)
    return "\n".join(lines), InlineKeyboardMarkup([[button]]) if button else None
