"""The buttons on a request and on an offer: offer (all or some), can't, accept, decline, withdraw.

Every press is checked by the service against who presses and what the request is now; callback_data is
input, so a forged id, an old button or someone else's press gets a short answer and changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import BaseHandler

from bot.i18n import N_, Translator
from bot.permissions import may_act_for_request
from bot.services.groups import is_group_post, join_from_group, may_offer_from_group
from bot.services.offers import (
    Outcome,
    Result,
    accept_offer,
    booked_slots,
    decline_offer,
    decline_request,
    make_offer,
    offerable_slots,
    own_offers,
    recipient_of,
    withdraw_offer,
)
from bot.services.requests import load_request, load_request_slots, refresh_offer_card, send_copy
from db.models import Offer, RequestStatus, ShortageRequest
from handlers.callback_data import FROM_LIST, Action, Callback
from handlers.context import BotContext, Turn
from handlers.editing import digest, edit_if_changed
from handlers.entry import STALE, Press, first_id, press
from handlers.my_requests import overview
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
    """Show the presser's own copy of the request as it is now (its slots and the presser's own offer)."""
    request = await load_request_slots(turn.session, request_id)
    if request is None or turn.member is None:
        return
    recipient = await recipient_of(turn.session, request_id, turn.member.id)
    pressed = query.message.message_id if query.message else None
    if recipient is None or (recipient.message_id is not None and recipient.message_id != pressed):
        return  # a forged id for another request must not rewrite this message
    mine = await own_offers(turn.session, request_id, turn.member.id)
    booked = await booked_slots(turn.session, request, turn.member.id)
    text, markup = recipient_view(
        turn.t,
        request,
        mine,
        declined=bool(recipient and recipient.declined),
        offerable=offerable_slots(request, mine, turn.now, booked),
        booked=booked,
    )
    if await edit_if_changed(query, text, markup):
        recipient.rendered_digest = digest(text, markup)


def _mask_slots(slot_ids: list[int], mask: int) -> list[int] | None:
    """Slot ids chosen by a bit mask; None when the mask names slots that do not exist."""
    if mask <= 0 or mask >= (1 << len(slot_ids)):
        return None
    return [slot_id for index, slot_id in enumerate(slot_ids) if mask & (1 << index)]


@press(
    Action.OFFER_ALL,
    Action.OFFER_PICK,
    Action.OFFER_SOME,
    Action.OFFER_BACK,
    Action.CANT,
    checked_by=recipient_of,
    subject=first_id(load_request_slots),
    alert=False,
)
async def on_request_button(press: Press[ShortageRequest]) -> None:
    """A press on a request: offer for all or some, open or close the picker, or say "can't". The services
    check that the presser was asked for it (`recipient_of`); a wijk group's post has its own check."""
    data, request = press.data, press.subject
    chat = press.update.effective_chat
    if chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
        await _group_press(press.query, press.turn, data, request)
    elif data.action is Action.CANT:
        await _cant(press)
    elif _days_changed(data, request):
        await press.refuse(N_("The days of this request have changed; please choose again."))
        await _refresh_my_copy(press.query, press.turn, request.id)
    elif data.action in (Action.OFFER_PICK, Action.OFFER_BACK):
        await _picker(press.query, press.turn, data, request.id)
    else:
        await _offer(press)


def _days_changed(data: Callback, request: ShortageRequest) -> bool:
    """The button was made for a request with another number of day-parts (days were added since): an offer
    from it could commit the helper to days they never saw. The count is the last argument; an "all" button
    from before it carried one has none, and counts as made before any days were added."""
    if data.action in (Action.OFFER_PICK, Action.OFFER_SOME):
        return data.int_arg(2) != len(request.slots)
    if data.action is Action.OFFER_ALL and len(data.args) > 1:
        return data.int_arg(1) != len(request.slots)
    if data.action is Action.OFFER_ALL:
        return any(slot.added_at is not None for slot in request.slots)
    return False


async def _cant(press: Press[ShortageRequest]) -> None:
    """ "Can't": the practice is not waiting for this person any more."""
    t, request = press.t, press.subject
    result = await decline_request(press.session, member=press.member, request_id=request.id)
    await press.turn.commit()
    await _answer(press.query, t, result, t.gettext("Thanks for letting us know."))
    if result.outcome is Outcome.OK:
        await _refresh_my_copy(press.query, press.turn, request.id)


async def _offer(press: Press[ShortageRequest]) -> None:
    """Offer for all day-parts, or for the ones picked (a bit mask in the button)."""
    t, data, request = press.t, press.data, press.subject
    slot_ids: list[int] | None = None
    if data.action is Action.OFFER_SOME:
        slot_ids = _mask_slots([slot.id for slot in request.slots], data.int_arg(1) or 0)
        if slot_ids is None:
            await press.refuse(N_("Choose at least one day-part first."))
            return
    result = await make_offer(press.session, now=press.now, member=press.member, request=request, slot_ids=slot_ids)
    shown = _copy_after_offer(press, result)
    await press.turn.commit()
    await _answer(press.query, t, result, t.gettext("Thank you! Your offer is sent; you will hear from the practice."))
    if shown is not None:
        try:
            await edit_if_changed(press.query, *shown)
        except TelegramError:
            # Not shown after all: forget the digest, so the next refresh of the request edits the copy.
            assert result.helper is not None
            result.helper.recipient.rendered_digest = None
            await press.turn.commit()
            raise
    elif result.helper is None and result.outcome in (
        Outcome.REQUEST_CLOSED,
        Outcome.ALREADY_FILLED,
        Outcome.ALREADY_OFFERED,
    ):
        await _refresh_my_copy(press.query, press.turn, request.id)


def _copy_after_offer(press: Press[ShortageRequest], result: Result) -> tuple[str, InlineKeyboardMarkup | None] | None:
    """The presser's copy as their new offer leaves it, from what making the offer read, and recorded as shown
    in the offer's own transaction: showing it needs no second read or write. Should the edit then fail, the copy
    is told so (the digest is forgotten), and the next change to the request puts it right. None when
    there is no new offer, or the pressed message is not the presser's copy (a forged id)."""
    helper = result.helper
    if helper is None or result.outcome is not Outcome.OK:
        return None
    pressed = press.query.message.message_id if press.query.message else None
    if helper.recipient.message_id is not None and helper.recipient.message_id != pressed:
        return None
    request = press.subject
    text, markup = recipient_view(
        press.t,
        request,
        helper.mine,
        declined=helper.recipient.declined,
        offerable=offerable_slots(request, helper.mine, press.now, helper.booked),
        booked=helper.booked,
    )
    helper.recipient.rendered_digest = digest(text, markup)
    return text, markup


async def _group_press(query: CallbackQuery, turn: Turn, data: Callback, request: ShortageRequest) -> None:
    """A press on a wijk group's post: it counts only from a member who may offer; answers stay private."""
    t = turn.t
    message_id = query.message.message_id if query.message else None
    chat_id = query.message.chat.id if query.message else 0
    if not await is_group_post(turn.session, request_id=request.id, chat_id=chat_id, message_id=message_id):
        await query.answer(t.gettext("This button no longer works."))
        return
    if request.status != RequestStatus.OPEN:
        await query.answer(outcome_text(t, Outcome.REQUEST_CLOSED), show_alert=True)
        return
    if _days_changed(data, request):  # the post is being edited to the new days: nobody offers for unseen ones
        await query.answer(
            t.gettext("The days of this request have changed; please look at it again."), show_alert=True
        )
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
    result = await make_offer(turn.session, now=turn.now, member=member, request=request, slot_ids=None)
    await turn.commit()
    await _answer(query, t, result, t.gettext("Thank you! Your offer is sent; you will hear from the practice."))


async def _picker(query: CallbackQuery, turn: Turn, data: Callback, request_id: int) -> None:
    """Open, toggle or close the day-part picker; only for someone the request was sent to, while open."""
    t = turn.t
    request = await load_request_slots(turn.session, request_id)
    asked = turn.member is not None and await recipient_of(turn.session, request_id, turn.member.id) is not None
    if request is None or not asked or request.status != RequestStatus.OPEN:
        await query.answer(outcome_text(t, Outcome.NOT_ALLOWED if not asked else Outcome.REQUEST_CLOSED))
        return
    await query.answer()
    if data.action is Action.OFFER_BACK:
        await _refresh_my_copy(query, turn, request_id)
        return
    mask = data.int_arg(1) or 0
    if mask >= (1 << len(request.slots)):
        mask = 0
    assert turn.member is not None  # asked
    mine = await own_offers(turn.session, request_id, turn.member.id)
    booked = await booked_slots(turn.session, request, turn.member.id)
    markup: InlineKeyboardMarkup = picker_markup(t, request, mask, offerable_slots(request, mine, turn.now, booked))
    await query.edit_message_reply_markup(markup)


async def _answer(query: CallbackQuery, t: Translator, result: Result, success: str) -> None:
    if result.outcome is Outcome.OK:
        await query.answer(success)
    else:
        await query.answer(outcome_text(t, result.outcome), show_alert=True)


DECISIONS: dict[Action, Callable[..., Awaitable[Result]]] = {
    Action.ACCEPT: accept_offer,
    Action.DECLINE_OFFER: decline_offer,
}


@press(Action.ACCEPT, Action.DECLINE_OFFER, checked_by=may_act_for_request, alert=False)
async def on_offer_button(press: Press[None]) -> None:
    """The requester accepts or declines an offer (the service checks who may decide about the request)."""
    t, query, action = press.t, press.query, press.data.action
    offer_id = press.data.int_arg(0)
    if offer_id is None:
        await press.refuse(STALE, alert=False)
        return
    from_list = press.data.args[1:2] == (FROM_LIST,)
    result = await DECISIONS[action](press.session, now=press.now, member=press.member, offer_id=offer_id)
    decided = (Outcome.OK, Outcome.HELPER_BOOKED, Outcome.ALREADY_FILLED)  # the offer changed: its card follows
    if from_list and result.outcome in decided and result.offer is not None:
        await _follow_on_card(press, result.offer.request_id, offer_id)
    await press.turn.commit()
    if result.outcome is Outcome.NOT_ALLOWED or result.offer is None:
        await query.answer(outcome_text(t, result.outcome), show_alert=True)
        return
    request = await load_request(press.session, result.offer.request_id)
    assert request is not None
    offer = next(o for o in request.offers if o.id == offer_id)
    await _answer(query, t, result, t.gettext("Done."))
    if from_list:  # the list shows the practice's requests as they are now
        text, markup = await overview(t, press.session, request.practice_id, press.now)
        await edit_if_changed(query, text, markup)
        return
    if result.outcome is Outcome.STALE:
        return  # already decided: the message already says how
    text, markup = offer_for_requester(t, request, offer)
    await edit_if_changed(query, text + decision_note(t, action, result.outcome, request, offer), markup)


def decision_note(t: Translator, action: Action, outcome: Outcome, request: ShortageRequest, offer: Offer) -> str:
    """What became of the offer, under it on the requester's message (HTML)."""
    if action is Action.ACCEPT and outcome is Outcome.OK:
        accepted = "\n\n<b>" + t.gettext("Accepted for:") + "</b>\n" + filled_slots(t, request, offer)
        return accepted + "\n" + contact_line(t, offer.member)
    if action is Action.DECLINE_OFFER and outcome is Outcome.OK:
        return "\n\n<i>" + t.gettext("Declined.") + "</i>"
    return "\n\n<i>" + outcome_text(t, outcome) + "</i>"


@press(Action.WITHDRAW, checked_by=withdraw_offer, alert=False)
async def on_withdraw_button(press: Press[None]) -> None:
    """The helper withdraws their offer, accepted or still pending (the service checks that it is theirs); from
    their copy of the request, the copy shows the offer buttons again."""
    t, query = press.t, press.query
    offer_id = press.data.int_arg(0)
    if offer_id is None:
        await press.refuse(STALE, alert=False)
        return
    result = await withdraw_offer(press.session, now=press.now, member=press.member, offer_id=offer_id)
    await press.turn.commit()
    if result.outcome is Outcome.NOT_ALLOWED or result.offer is None:
        await query.answer(outcome_text(t, result.outcome), show_alert=True)
        return
    await _answer(query, t, result, t.gettext("You have withdrawn; the practice is told."))
    if result.outcome is not Outcome.OK:
        return
    request_id = result.offer.request_id
    copy = await recipient_of(press.session, request_id, press.member.id) if press.member else None
    if copy is not None and query.message is not None and copy.message_id == query.message.message_id:
        await _refresh_my_copy(query, press.turn, request_id)  # the copy offers the buttons again
        return
    await edit_if_changed(query, t.gettext("You withdrew from request #{id}.").format(id=request_id))


async def _follow_on_card(press: Press[None], request_id: int, offer_id: int) -> None:
    """Decided in /mijnverzoeken: the requester's card of the offer says so, and who decided if not them."""
    request = await load_request(press.session, request_id)
    offer = next((o for o in request.offers if o.id == offer_id), None) if request else None
    if request is None or offer is None:
        return
    member = press.member
    decided_by = member if member is not None and member.id != request.created_by_member_id else None
    await refresh_offer_card(press.session, now=press.now, request=request, offer=offer, decided_by=decided_by)


def build() -> list[BaseHandler[Update, BotContext, None]]:
    """The handlers of this feature."""
    return [
        on_request_button.handler(),
        on_offer_button.handler(),
        on_withdraw_button.handler(),
    ]
