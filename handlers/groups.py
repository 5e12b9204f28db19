"""`/koppelgroep` and `/ontkoppelgroep`: a coordinator links a Telegram group to a wijk, in that group."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, filters

from bot.i18n import N_
from bot.permissions import is_coordinator, is_coordinator_of, may_link_group
from bot.services.groups import link_group, unlink_group
from bot.services.network import active_wijken
from handlers.callback_data import Action, encode
from handlers.context import BotContext
from handlers.editing import edit_if_changed
from handlers.entry import Press, Said, command, press

ONLY_COORDINATORS = N_("Only a regional coordinator can link a group to a wijk.")


@command("koppelgroep", "linkgroup", rule=is_coordinator, refusal=ONLY_COORDINATORS)
async def start_link(said: Said) -> None:
    """Offer the region's wijken as buttons; only a coordinator may link."""
    wijken = await active_wijken(said.session, said.actor.region_id)
    rows = [[InlineKeyboardButton(w.name, callback_data=encode(Action.LINK_GROUP, w.id))] for w in wijken]
    await said.turn.commit()  # the reply may wait for the group's rate limit; see general.release_before_reply
    await said.message.reply_text(
        said.t.gettext("Link this group to which wijk?"), reply_markup=InlineKeyboardMarkup(rows)
    )


@press(Action.LINK_GROUP, checked_by=may_link_group, refusal=ONLY_COORDINATORS)
async def choose_wijk(press: Press[None]) -> None:
    """The coordinator's choice (the service checks it against the wijk and the group's link); anyone else's
    press is answered privately and changes nothing."""
    chat = press.update.effective_chat
    wijk_id = press.data.int_arg(0)
    wijk = None
    if wijk_id is not None and chat is not None and chat.type in ("group", "supergroup"):
        wijk = await link_group(press.session, now=press.now, member=press.member, chat_id=chat.id, wijk_id=wijk_id)
    if wijk is None:
        await press.refuse(ONLY_COORDINATORS)
        return
    await press.turn.commit()
    await press.query.answer()
    await edit_if_changed(
        press.query,
        press.t.gettext(
            "This group is linked to wijk {wijk}: new requests and meeting dates of the wijk appear here. Only "
            "members who can fill a request can offer; the bot only reads commands and buttons here."
        ).format(wijk=escape(wijk.name)),
    )


@command("ontkoppelgroep", "unlinkgroup", checked_by=is_coordinator_of)
async def unlink(said: Said) -> None:
    """Stop posting requests in this group (the service checks the coordinator against the linked wijk)."""
    chat = said.update.effective_chat
    assert chat is not None
    done = await unlink_group(said.session, now=said.now, member=said.member, chat_id=chat.id)
    await said.turn.commit()  # see general.release_before_reply
    if not done:
        await said.reply(N_("Only a regional coordinator can unlink a group, and this group must be linked."))
        return
    await said.reply(N_("This group is no longer linked; new requests will not appear here."))


def build() -> list[BaseHandler[Update, BotContext, None]]:
    """The handlers of this feature (groups only)."""
    groups = filters.ChatType.GROUPS
    return [
        start_link.handler(filters=groups),
        unlink.handler(filters=groups),
        choose_wijk.handler(),
    ]
