"""`/open` for coordinators: what stays unfilled, with a button to ask the wijk again."""

from __future__ import annotations

from html import escape

from babel.dates import format_date
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.i18n import Translator
from bot.permissions import is_coordinator
from bot.services.coordination import needs_attention, nudge
from db.models import ShortageRequest, Urgency
from handlers.callback_data import Action, decode, encode, pattern
from handlers.context import BotContext, open_turn
from handlers.ladder_views import round_line
from handlers.request_views import needed_label

MAX_LISTED = 15


def request_line(t: Translator, request: ShortageRequest) -> str:
    """One line per request: number, practice, role, first day, urgency (HTML)."""
    first = format_date(request.slots[0].day, "EEE d MMM", locale=t.language) if request.slots else "–"
    urgent = "🆘 " if request.urgency == Urgency.SPOED.value else ""
    return (
        f"{urgent}<b>#{request.id}</b> {escape(request.practice.name)} – "
        f"{escape(needed_label(t, request.role_needed))} – {escape(first)}"
    )


async def show_open(update: Update, context: BotContext) -> None:
    """List what needs the coordinator's attention."""
    message = update.effective_message
    assert message is not None
    async with open_turn(update, context) as turn:
        t, member = turn.t, turn.member
        if member is None or not is_coordinator(member):
            await message.reply_text(t.gettext("Only a regional coordinator can see this."))
            return
        requests = await needs_attention(turn.session, region_id=member.region_id, now=turn.now)
        if not requests:
            await message.reply_text(
                t.gettext(
                    "Nothing needs your attention: no request is open after the last "
                    "round, and no urgent one is waiting."
                )
            )
            return
        lines = ["<b>" + t.gettext("Still open") + "</b>"]
        buttons = []
        for request in requests[:MAX_LISTED]:
            lines.append(request_line(t, request) + "\n" + round_line(t, request))
            label = t.gettext("Ask wijk again (#{id})").format(id=request.id)
            buttons.append([InlineKeyboardButton(label, callback_data=encode(Action.NUDGE, request.id))])
        await message.reply_html("\n\n".join(lines), reply_markup=InlineKeyboardMarkup(buttons))


async def nudge_button(update: Update, context: BotContext) -> None:
    """Send the request again to those asked who have not answered."""
    query = update.callback_query
    assert query is not None
    data = decode(query.data)
    async with open_turn(update, context) as turn:
        request_id = data.int_arg(0) if data else None
        nudged = None
        if request_id is not None:
            nudged = await nudge(turn.session, now=turn.now, member=turn.member, request_id=request_id)
        if nudged is None:
            await query.answer(turn.t.gettext("You cannot do that (any more)."), show_alert=True)
            return
        await turn.commit()
        await query.answer(
            turn.t.ngettext("Sent again to {count} person.", "Sent again to {count} people.", nudged).format(
                count=nudged
            )
        )


def build() -> list[BaseHandler[Update, BotContext, None]]:
    """The handlers of this feature."""
    return [
        CommandHandler("open", show_open, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(nudge_button, pattern=pattern(Action.NUDGE)),
    ]
