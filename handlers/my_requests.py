"""`/mijnverzoeken`: the practice's open and recent requests, who fills what, and cancelling with a reason."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.i18n import Translator
from bot.permissions import may_act_for_request, practice_to_post_for
from bot.services.ladder import widen_now
from bot.services.requests import (
    CHOSEN_REASONS,
    CancelReason,
    cancel_request,
    load_request,
    practice_requests,
)
from db.models import OfferStatus, RequestStatus, ShortageRequest
from handlers.callback_data import Action, decode, encode, pattern
from handlers.context import BotContext, open_turn
from handlers.editing import edit_if_changed
from handlers.ladder_views import round_line, waits_of, widen_button
from handlers.request_views import REASON_LABELS, offered_slots, person, request_body

MAX_TEXT = 3800  # below Telegram's 4096, leaving room for the closing line
MAX_WAITING_SHOWN = 5


def summary(t: Translator, request: ShortageRequest) -> str:
    """One request with who fills what, the round it is in, and the offers still waiting for an answer."""
    lines = [request_body(t, request, filled_by=True)]
    if request.status == RequestStatus.OPEN.value:
        lines.append(round_line(t, request))
    waiting = [o for o in request.offers if o.status == OfferStatus.PENDING.value]
    if waiting and request.status == RequestStatus.OPEN.value:
        lines.append(t.gettext("Offers waiting for your answer:"))
        for offer in waiting[:MAX_WAITING_SHOWN]:
            lines.append(person(offer.member, t) + "\n" + offered_slots(t, request, offer))
        if len(waiting) > MAX_WAITING_SHOWN:
            lines.append(t.gettext("… and {count} more").format(count=len(waiting) - MAX_WAITING_SHOWN))
    return "\n".join(lines)


async def list_requests(update: Update, context: BotContext) -> None:
    """Show the practice's requests, newest first, with a cancel button for each open one."""
    message = update.effective_message
    if message is None:
        return
    async with open_turn(update, context) as turn:
        t = turn.t
        practice = practice_to_post_for(turn.member)
        if practice is None:
            await message.reply_text(t.gettext("Only practice managers and GPs of a practice have requests to show."))
            return
        requests = await practice_requests(turn.session, practice_id=practice.id, now=turn.now)
        if not requests:
            await message.reply_text(t.gettext("Your practice has no open or recent requests. /verzoek posts one."))
            return
        parts: list[str] = []
        buttons = []
        for request in requests:
            part = summary(t, request)
            if parts and sum(len(p) for p in parts) + len(part) > MAX_TEXT:
                parts.append(t.gettext("(older requests left out)"))
                break
            parts.append(part)
            if request.status in (RequestStatus.OPEN.value, RequestStatus.FILLED.value) and request.ends_at > turn.now:
                widen = widen_button(t, request)
                if widen is not None:
                    buttons.append([widen])
                cancel = t.gettext("Cancel #{id}").format(id=request.id)
                add = t.gettext("Add days to #{id}").format(id=request.id)
                buttons.append(
                    [
                        InlineKeyboardButton(add, callback_data=encode(Action.ADD_DAYS, request.id)),
                        InlineKeyboardButton(cancel, callback_data=encode(Action.CANCEL_REQUEST, request.id)),
                    ]
                )
        await message.reply_html("\n\n".join(parts), reply_markup=InlineKeyboardMarkup(buttons) if buttons else None)


async def cancel_button(update: Update, context: BotContext) -> None:
    """Ask for the reason, then cancel; everyone who offered or was accepted is told."""
    query = update.callback_query
    assert query is not None
    data = decode(query.data)
    async with open_turn(update, context) as turn:
        t = turn.t
        request = await load_request(turn.session, data.int_arg(0) if data else None)
        if data is None or request is None or not may_act_for_request(turn.member, request):
            await query.answer(t.gettext("You cannot do that with this request."), show_alert=True)
            return
        if request.status not in (RequestStatus.OPEN.value, RequestStatus.FILLED.value) or request.ends_at <= turn.now:
            await query.answer(t.gettext("This request is no longer open."), show_alert=True)
            return
        reason_code = data.args[1] if len(data.args) > 1 else ""
        if reason_code not in {reason.value for reason in CHOSEN_REASONS}:
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
            return
        assert turn.member is not None
        done = await cancel_request(
            turn.session, now=turn.now, member=turn.member, request=request, reason=CancelReason(reason_code)
        )
        await turn.commit()
        if not done:
            await query.answer(t.gettext("This request is no longer open."), show_alert=True)
            return
        await query.answer()
        told = sum(1 for o in request.offers if o.status == OfferStatus.CANCELLED.value)
        text = t.gettext("Request #{id} is cancelled ({reason}).").format(
            id=request.id, reason=escape(t.gettext(REASON_LABELS[CancelReason(reason_code)]))
        )
        if told:
            text += " " + t.ngettext(
                "The person who offered is told.", "The {count} people who offered are told.", told
            ).format(count=told)
        await edit_if_changed(query, text)


async def widen(update: Update, context: BotContext) -> None:
    """ "Nu breder vragen": start the next round of the ladder at once."""
    query = update.callback_query
    assert query is not None
    data = decode(query.data)
    async with open_turn(update, context) as turn:
        t = turn.t
        request_id = data.int_arg(0) if data else None
        asked = None
        if request_id is not None:
            asked = await widen_now(
                turn.session,
                now=turn.now,
                zone=t.zone,
                member=turn.member,
                request_id=request_id,
                waits=waits_of(turn.runtime.settings),
            )
        if asked is None or request_id is None:
            await query.answer(t.gettext("This request cannot be widened (any more)."), show_alert=True)
            return
        await turn.commit()
        request = await load_request(turn.session, request_id)
        assert request is not None
        await query.answer(
            t.ngettext("{count} more person is asked.", "{count} more people are asked.", asked).format(count=asked)
        )
        await query.get_bot().send_message(query.from_user.id, round_line(t, request), parse_mode=ParseMode.HTML)


def build() -> list[BaseHandler[Update, BotContext, None]]:
    """The handlers of this feature."""
    return [
        CommandHandler(["mijnverzoeken", "myrequests"], list_requests, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(cancel_button, pattern=pattern(Action.CANCEL_REQUEST)),
        CallbackQueryHandler(widen, pattern=pattern(Action.WIDEN)),
    ]
