"""`/mijnverzoeken`: the practice's open and recent requests, who fills what, and cancelling with a reason."""

from __future__ import annotations

from datetime import datetime
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, filters

from bot.i18n import N_, Translator
from bot.permissions import may_act_for_request, may_post_request, practice_to_post_for
from bot.services.ladder import widen_now
from bot.services.requests import (
    CHOSEN_REASONS,
    CancelReason,
    cancel_request,
    load_request,
    practice_requests,
)
from db.models import OfferStatus, RequestStatus, ShortageRequest
from handlers.callback_data import FROM_LIST, Action, encode
from handlers.context import BotContext
from handlers.editing import edit_if_changed
from handlers.entry import Press, Said, command, first_id, press
from handlers.ladder_views import round_line, waits_of, widen_button
from handlers.request_views import REASON_LABELS, offered_slots, person, request_body
from handlers.texts import member_name

MAX_TEXT = 3800  # below Telegram's 4096, leaving room for the closing line
MAX_WAITING_SHOWN = 5
MAX_OFFER_ROWS = 20


def summary(t: Translator, request: ShortageRequest) -> str:
    """One request with who fills what, the round it is in, and the offers still waiting for an answer."""
    lines = [request_body(t, request, filled_by=True)]
    if request.status == RequestStatus.OPEN:
        lines.append(round_line(t, request))
    waiting = [o for o in request.offers if o.status == OfferStatus.PENDING]
    if waiting and request.status == RequestStatus.OPEN:
        lines.append(t.gettext("Offers waiting for your answer:"))
        for offer in waiting[:MAX_WAITING_SHOWN]:
            lines.append(person(offer.member, t) + "\n" + offered_slots(t, request, offer))
        if len(waiting) > MAX_WAITING_SHOWN:
            lines.append(t.gettext("… and {count} more").format(count=len(waiting) - MAX_WAITING_SHOWN))
    return "\n".join(lines)


@command(
    "mijnverzoeken",
    "myrequests",
    rule=may_post_request,
    refusal=N_("Only practice managers and GPs of a practice have requests to show."),
)
async def list_requests(said: Said) -> None:
    """Show the practice's requests, newest first, with buttons for each open one and its waiting offers."""
    practice = practice_to_post_for(said.member)
    assert practice is not None  # may_post_request
    text, markup = await overview(said.t, said.session, practice.id, said.now)
    await said.message.reply_html(text, reply_markup=markup)


async def overview(
    t: Translator, session: AsyncSession, practice_id: int, now: datetime
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The practice's requests as /mijnverzoeken shows them (HTML), with their buttons."""
    requests = await practice_requests(session, practice_id=practice_id, now=now)
    if not requests:
        return escape(t.gettext("Your practice has no open or recent requests. /verzoek posts one.")), None
    parts: list[str] = []
    buttons: list[list[InlineKeyboardButton]] = []
    offer_rows = 0
    for request in requests:
        part = summary(t, request)
        if parts and sum(len(p) for p in parts) + len(part) > MAX_TEXT:
            parts.append(t.gettext("(older requests left out)"))
            break
        parts.append(part)
        # Telegram shows at most about 100 buttons: the offers' rows stop at MAX_OFFER_ROWS (the text lists them).
        offers = offer_buttons(t, request)[: max(0, MAX_OFFER_ROWS - offer_rows)]
        offer_rows += len(offers)
        buttons += offers + request_buttons(t, request, now)
    return "\n\n".join(parts), InlineKeyboardMarkup(buttons) if buttons else None


def offer_buttons(t: Translator, request: ShortageRequest) -> list[list[InlineKeyboardButton]]:
    """Accept or decline each waiting offer shown, for anyone who may act for the practice's requests."""
    if request.status != RequestStatus.OPEN:
        return []
    waiting = [o for o in request.offers if o.status == OfferStatus.PENDING][:MAX_WAITING_SHOWN]
    rows = []
    for offer in waiting:
        name = member_name(t, offer.member) if offer.member else t.gettext("a former member")
        rows.append(
            [
                InlineKeyboardButton(
                    t.gettext("✓ {name} (#{id})").format(name=name, id=request.id),
                    callback_data=encode(Action.ACCEPT, offer.id, FROM_LIST),
                ),
                InlineKeyboardButton(
                    t.gettext("Decline"), callback_data=encode(Action.DECLINE_OFFER, offer.id, FROM_LIST)
                ),
            ]
        )
    return rows


def _still_on(request: ShortageRequest, now: datetime) -> bool:
    """Open or filled, and not over: it can still be cancelled, widened or extended."""
    return request.status in (RequestStatus.OPEN, RequestStatus.FILLED) and request.ends_at > now


def request_buttons(t: Translator, request: ShortageRequest, now: datetime) -> list[list[InlineKeyboardButton]]:
    """Widen, add days and cancel, for a request that is still on."""
    if not _still_on(request, now):
        return []
    rows = []
    widen = widen_button(t, request)
    if widen is not None:
        rows.append([widen])
    cancel = t.gettext("Cancel #{id}").format(id=request.id)
    add = t.gettext("Add days to #{id}").format(id=request.id)
    rows.append(
        [
            InlineKeyboardButton(add, callback_data=encode(Action.ADD_DAYS, request.id)),
            InlineKeyboardButton(cancel, callback_data=encode(Action.CANCEL_REQUEST, request.id)),
        ]
    )
    return rows


@press(
    Action.CANCEL_REQUEST,
    rule=may_act_for_request,
    subject=first_id(load_request),
    refusal=N_("You cannot do that with this request."),
)
async def cancel_button(press: Press[ShortageRequest]) -> None:
    """Ask for the reason, then cancel; everyone who offered or was accepted is told."""
    request = press.subject
    if not _still_on(request, press.now):
        await press.refuse(N_("This request is no longer open."))
        return
    reason_code = press.data.args[1] if len(press.data.args) > 1 else ""
    if reason_code not in {reason.value for reason in CHOSEN_REASONS}:
        await _ask_reason(press)
        return
    reason = CancelReason(reason_code)
    done = await cancel_request(press.session, now=press.now, member=press.actor, request=request, reason=reason)
    await press.turn.commit()
    if not done:
        await press.refuse(N_("This request is no longer open."))
        return
    await press.query.answer()
    await edit_if_changed(press.query, cancelled_text(press.t, request, reason))


async def _ask_reason(press: Press[ShortageRequest]) -> None:
    """The reasons to choose from, as buttons in a new message."""
    t, request, query = press.t, press.subject, press.query
    await query.answer()
    rows = [
        [
            InlineKeyboardButton(
                t.gettext(REASON_LABELS[reason]),
                callback_data=encode(Action.CANCEL_REQUEST, request.id, reason.value),
            )
        ]
        for reason in CHOSEN_REASONS
    ]
    await query.get_bot().send_message(
        query.from_user.id,
        t.gettext("Why do you cancel request #{id}?").format(id=request.id),
        reply_markup=InlineKeyboardMarkup(rows),
    )


def cancelled_text(t: Translator, request: ShortageRequest, reason: CancelReason) -> str:
    """The request is cancelled, and how many who offered are told."""
    told = sum(1 for o in request.offers if o.status == OfferStatus.CANCELLED)
    text = t.gettext("Request #{id} is cancelled ({reason}).").format(
        id=request.id, reason=escape(t.gettext(REASON_LABELS[reason]))
    )
    if told:
        text += " " + t.ngettext(
            "The person who offered is told.", "The {count} people who offered are told.", told
        ).format(count=told)
    return text


@press(Action.WIDEN, checked_by=may_act_for_request, refusal=N_("This request cannot be widened (any more)."))
async def widen(press: Press[None]) -> None:
    """ "Nu breder vragen": start the next round of the ladder at once (the service checks who may)."""
    t = press.t
    request_id = press.data.int_arg(0)
    asked = None
    if request_id is not None:
        asked = await widen_now(
            press.session,
            now=press.now,
            zone=t.zone,
            member=press.member,
            request_id=request_id,
            waits=waits_of(press.turn.runtime.settings),
        )
    if asked is None or request_id is None:
        await press.refuse(N_("This request cannot be widened (any more)."))
        return
    await press.turn.commit()
    request = await load_request(press.session, request_id)
    assert request is not None
    await press.query.answer(
        t.ngettext("{count} more person is asked.", "{count} more people are asked.", asked).format(count=asked)
    )
    await press.query.get_bot().send_message(
        press.query.from_user.id, round_line(t, request), parse_mode=ParseMode.HTML
    )


def build() -> list[BaseHandler[Update, BotContext, None]]:
    """The handlers of this feature."""
    return [
        list_requests.handler(filters=filters.ChatType.PRIVATE),
        cancel_button.handler(),
        widen.handler(),
    ]
