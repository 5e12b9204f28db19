"""`/open` for coordinators: what stays unfilled, with a button to ask the wijk again."""

from __future__ import annotations

from html import escape

from babel.dates import format_date
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, filters

from bot.i18n import N_, Translator
from bot.permissions import is_coordinator, is_coordinator_of
from bot.services.coordination import needs_attention, nudge
from db.models import ShortageRequest, Urgency
from handlers.callback_data import Action, encode
from handlers.context import BotContext
from handlers.entry import Press, Said, command, press
from handlers.ladder_views import round_line
from handlers.request_views import needed_label

MAX_LISTED = 15


def request_line(t: Translator, request: ShortageRequest) -> str:
    """One line per request: number, practice, role, first day, urgency (HTML)."""
    first = format_date(request.slots[0].day, "EEE d MMM", locale=t.language) if request.slots else "–"
    urgent = "🆘 " if request.urgency == Urgency.SPOED else ""
    return (
        f"{urgent}<b>#{request.id}</b> {escape(request.practice.name)} – "
        f"{escape(needed_label(t, request.role_needed))} – {escape(first)}"
    )


def more_line(t: Translator, count: int) -> str:
    """What a list leaves out: the soonest are shown, the rest counted."""
    return t.ngettext("And {count} more.", "And {count} more.", count).format(count=count)


@command("open", rule=is_coordinator, refusal=N_("Only a regional coordinator can see this."))
async def show_open(said: Said) -> None:
    """List what needs the coordinator's attention."""
    t = said.t
    listed = await needs_attention(said.session, region_id=said.actor.region_id, now=said.now, limit=MAX_LISTED)
    if not listed.requests:
        await said.message.reply_text(
            t.gettext(
                "Nothing needs your attention: no request is open after the last round, and no urgent one is waiting."
            )
        )
        return
    lines = ["<b>" + t.gettext("Still open") + "</b>"]
    buttons = []
    for request in listed.requests:
        lines.append(request_line(t, request) + "\n" + round_line(t, request))
        label = t.gettext("Ask wijk again (#{id})").format(id=request.id)
        cancel = t.gettext("Cancel #{id}").format(id=request.id)
        buttons.append(
            [
                InlineKeyboardButton(label, callback_data=encode(Action.NUDGE, request.id)),
                # The practice is told who cancelled and why (the same reasons as in /mijnverzoeken).
                InlineKeyboardButton(cancel, callback_data=encode(Action.CANCEL_REQUEST, request.id)),
            ]
        )
    if listed.total > len(listed.requests):
        lines.append(more_line(t, listed.total - len(listed.requests)))
    await said.message.reply_html("\n\n".join(lines), reply_markup=InlineKeyboardMarkup(buttons))


@press(Action.NUDGE, checked_by=is_coordinator_of, refusal=N_("You cannot do that (any more)."))
async def nudge_button(press: Press[None]) -> None:
    """Send the request again to those asked who have not answered (the service checks the request's region)."""
    request_id = press.data.int_arg(0)
    nudged = None
    if request_id is not None:
        nudged = await nudge(
            press.session, now=press.now, zone=press.t.zone, member=press.member, request_id=request_id
        )
    if nudged is None:
        await press.refuse(N_("You cannot do that (any more)."))
        return
    await press.turn.commit()
    await press.query.answer(
        press.t.ngettext("Sent again to {count} person.", "Sent again to {count} people.", nudged).format(count=nudged)
    )


def build() -> list[BaseHandler[Update, BotContext, None]]:
    """The handlers of this feature."""
    return [
        show_open.handler(filters=filters.ChatType.PRIVATE),
        nudge_button.handler(),
    ]
