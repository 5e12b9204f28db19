"""The buttons on a request and on an offer: offer (all or some), can't, accept, decline, withdraw.

Every press is checked by the service against who presses and what the request is now; callback_data is
input, so a forged id, an old button or someone else's press gets a short answer and changes nothing.
"""

from __future__ import annotations

from typing import Any

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.i18n import N_, Translator
from bot.services.groups import is_group_post, join_from_group, may_offer_from_group
from bot.services.offers import (
    Outcome,
    Result,
    accept_offer,
    decline_offer,
    decline_request,
    make_offer,
    open_slots,
    recipient_of,
    withdraw_offer,
)
from bot.services.requests import load_request, send_copy
from db.models import RequestStatus, ShortageRequest
from handlers.callback_data import Action, Callback, decode, pattern
from handlers.context import BotContext, Turn, open_turn
from handlers.editing import digest, edit_if_changed
from handlers.request_views import contact_line, filled_slots, offer_for_requester, picker_markup, recipient_view

OUTCOME_TEXTS: dict[Outcome, str] = {
    Outcome.NOT_FOUND: N_("This request no longer exists."),
    Outcome.NOT_ALLOWED: N_("You cannot do that with this request."),
    Outcome.OWN_PRACTICE: N_("This request is from your own practice."),
    Outcome.REQUEST_CLOSED: N_("This request is no longer open."),
    Outcome.ALREADY_FILLED: N_("Sorry, someone else was just ahead of you: this is already filled."),
    Outcome.ALREADY_OFFERED: N_("You have already offered to help with this request."),
    Outcome.DOUBLE_BOOKED: N_("You are already booked at that time for another request."),
    Outcome.HELPER_BOOKED: N_("This person is already booked at that time for another request."),
    Outcome.STALE: N_("This offer has already been handled."),
    Outcome.TOO_LATE: N_("It has already started; please call the practice instead."),
}


def outcome_text(t: Translator, outcome: Outcome) -> str:
    """A short, kind answer for anything but success."""
    return t.gettext(OUTCOME_TEXTS.get(outcome, N_("This button no longer works.")))


async def _refresh_my_copy(query: CallbackQuery, turn: Turn, request_id: int) -> None:
    """Show the presser's own copy of the request as it is now."""
    request = await load_request(turn.session, request_id)
    if request is None or turn.member is None:
        return
    recipient = await recipient_of(turn.session, request_id, turn.member.id)
    pressed = query.message.message_id if query.message else None
    if recipient is None or (recipient.message_id is not None and recipient.message_id != pressed):
        return  # a forged id for another request must not rewrite this message
    text, markup = recipient_view(
        turn.t,
        request,
        turn.member,
        declined=bool(recipient and recipient.declined),
        now_open=open_slots(request, turn.now),
    )
    if await edit_if_changed(query, text, markup):
        recipient.rendered_digest = digest(text, markup)


def _mask_slots(slot_ids: list[int], mask: int) -> list[int] | None:
    """Slot ids chosen by a bit mask; None when the mask names slots that do not exist."""
    if mask <= 0 or mask >= (1 << len(slot_ids)):
        return None
    return [slot_id for index, slot_id in enumerate(slot_ids) if mask & (1 << index)]


async def on_request_button(update: Update, context: BotContext) -> None:
    """A press on a request: offer for all or some, open or close the picker, or say "can't"."""
    query = update.callback_query
    assert query is not None
    data = decode(query.data)
    async with open_turn(update, context) as turn:
        t = turn.t
        request_id = data.int_arg(0) if data else None
        request = await load_request(turn.session, request_id)
        if data is None or request is None:
            await query.answer(t.gettext("This button no longer works."))
            return
        chat = update.effective_chat
        if chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
            await _group_press(query, turn, data, request)
            return
        if data.action is Action.CANT:
            result = await decline_request(turn.session, member=turn.member, request_id=request.id)
            await turn.commit()
            await _answer(query, t, result, t.gettext("Thanks for letting us know."))
            if result.outcome is Outcome.OK:
                await _refresh_my_copy(query, turn, request.id)
            return
        slot_ids: list[int] | None = None
        if data.action in (Action.OFFER_PICK, Action.OFFER_SOME) and data.int_arg(2) != len(request.slots):
            await query.answer(
                t.gettext("The days of this request have changed; please choose again."), show_alert=True
            )
            await _refresh_my_copy(query, turn, request.id)
            return
        if data.action in (Action.OFFER_PICK, Action.OFFER_BACK):
            await _picker(query, turn, data, request.id)
            return
        if data.action is Action.OFFER_SOME:
            slot_ids = _mask_slots([slot.id for slot in request.slots], data.int_arg(1) or 0)
            if slot_ids is None:
                await query.answer(t.gettext("Choose at least one day-part first."), show_alert=True)
                return
        result = await make_offer(
            turn.session, now=turn.now, member=turn.member, request_id=request.id, slot_ids=slot_ids
        )
        await turn.commit()
        await _answer(query, t, result, t.gettext("Thank you! Your offer is sent; you will hear from the practice."))
        if result.outcome in (Outcome.OK, Outcome.REQUEST_CLOSED, Outcome.ALREADY_FILLED, Outcome.ALREADY_OFFERED):
            await _refresh_my_copy(query, turn, request.id)


async def _group_press(query: CallbackQuery, turn: Turn, data: Callback, request: ShortageRequest) -> None:
    """A press on a wijk group's post: it counts only from a member who may offer; answers stay private."""
    t = turn.t
    message_id = query.message.message_id if query.message else None
    chat_id = query.message.chat.id if query.message else 0
    if not await is_group_post(turn.session, request_id=request.id, chat_id=chat_id, message_id=message_id):
        await query.answer(t.gettext("This button no longer works."))
        return
    if request.status != RequestStatus.OPEN.value:
        await query.answer(outcome_text(t, Outcome.REQUEST_CLOSED), show_alert=True)
        return
    member = turn.member
    if member is None or not await may_offer_from_group(turn.session, member, request, turn.now.date()):
        await query.answer(t.gettext("Only members who can fill this role can offer here."), show_alert=True)
        return
    recipient = await join_from_group(turn.session, now=turn.now, member=member, request=request)
    if data.action is Action.OFFER_PICK:
        await send_copy(turn.session, now=turn.now, recipient=recipient)
        await turn.commit()
        await query.answer(
            t.gettext("I have sent you the request in a private chat: choose the day-parts there."), show_alert=True
        )
        return
    if data.action is not Action.OFFER_ALL:
        await query.answer(t.gettext("This button no longer works."))
        return
    result = await make_offer(turn.session, now=turn.now, member=member, request_id=request.id, slot_ids=None)
    await turn.commit()
    await _answer(query, t, result, t.gettext("Thank you! Your offer is sent; you will hear from the practice."))


async def _picker(query: CallbackQuery, turn: Turn, data: Callback, request_id: int) -> None:
    """Open, toggle or close the day-part picker; only for someone the request was sent to, while open."""
    t = turn.t
    request = await load_request(turn.session, request_id)
    asked = turn.member is not None and await recipient_of(turn.session, request_id, turn.member.id) is not None
    if request is None or not asked or request.status != RequestStatus.OPEN.value:
        await query.answer(outcome_text(t, Outcome.NOT_ALLOWED if not asked else Outcome.REQUEST_CLOSED))
        return
    await query.answer()
    if data.action is Action.OFFER_BACK:
        await _refresh_my_copy(query, turn, request_id)
        return
    mask = data.int_arg(1) or 0
    if mask >= (1 << len(request.slots)):
        mask = 0
    markup: InlineKeyboardMarkup = picker_markup(t, request, mask, open_slots(request, turn.now))
    await query.edit_message_reply_markup(markup)


async def _answer(query: CallbackQuery, t: Translator, result: Result, success: str) -> None:
    if result.outcome is Outcome.OK:
        await query.answer(success)
    else:
        await query.answer(outcome_text(t, result.outcome), show_alert=True)


async def on_offer_button(update: Update, context: BotContext) -> None:
    """A press on an offer: the requester accepts or declines it, the helper withdraws it."""
    query = update.callback_query
    assert query is not None
    data = decode(query.data)
    async with open_turn(update, context) as turn:
        t = turn.t
        offer_id = data.int_arg(0) if data else None
        if data is None or offer_id is None:
            await query.answer(t.gettext("This button no longer works."))
            return
        action: Any = {
            Action.ACCEPT: accept_offer,
            Action.DECLINE_OFFER: decline_offer,
            Action.WITHDRAW: withdraw_offer,
        }[data.action]
        result: Result = await action(turn.session, now=turn.now, member=turn.member, offer_id=offer_id)
        await turn.commit()
        if result.outcome is Outcome.NOT_ALLOWED or result.offer is None:
            await query.answer(outcome_text(t, result.outcome), show_alert=True)
            return
        request = await load_request(turn.session, result.offer.request_id)
        assert request is not None
        offer = next(o for o in request.offers if o.id == offer_id)
        if data.action is Action.WITHDRAW:
            await _answer(query, t, result, t.gettext("You have withdrawn; the practice is told."))
            if result.outcome is Outcome.OK:
                await edit_if_changed(query, t.gettext("You withdrew from request #{id}.").format(id=request.id))
            return
        await _answer(query, t, result, t.gettext("Done."))
        if result.outcome is Outcome.STALE:
            return  # already decided: the message already says how
        text, markup = offer_for_requester(t, request, offer)
        if data.action is Action.ACCEPT and result.outcome is Outcome.OK:
            text += "\n\n<b>" + t.gettext("Accepted for:") + "</b>\n" + filled_slots(t, request, offer)
            text += "\n" + contact_line(t, offer.member)
        elif data.action is Action.DECLINE_OFFER and result.outcome is Outcome.OK:
            text += "\n\n<i>" + t.gettext("Declined.") + "</i>"
        else:
            text += "\n\n<i>" + outcome_text(t, result.outcome) + "</i>"
        await edit_if_changed(query, text, markup)


def build() -> list[BaseHandler[Update, BotContext, None]]:
    """The handlers of this feature."""
    return [
        CallbackQueryHandler(
            on_request_button,
            pattern=pattern(Action.OFFER_ALL, Action.OFFER_PICK, Action.OFFER_SOME, Action.OFFER_BACK, Action.CANT),
        ),
        CallbackQueryHandler(on_offer_button, pattern=pattern(Action.ACCEPT, Action.DECLINE_OFFER, Action.WITHDRAW)),
    ]
