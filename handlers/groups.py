"""`/koppelgroep` and `/ontkoppelgroep`: a coordinator links a Telegram group to a wijk, in that group."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.permissions import is_coordinator
from bot.services.groups import link_group, unlink_group
from bot.services.network import active_wijken
from handlers.callback_data import Action, decode, encode, pattern
from handlers.context import BotContext, open_turn
from handlers.editing import edit_if_changed


async def start_link(update: Update, context: BotContext) -> None:
    """Offer the region's wijken as buttons; only a coordinator may link."""
    message = update.effective_message
    assert message is not None
    async with open_turn(update, context) as turn:
        member = turn.member
        if member is None or not is_coordinator(member):
            await turn.commit()  # the reply may wait for the group's rate limit; see general.release_before_reply
            await message.reply_text(turn.t.gettext("Only a regional coordinator can link a group to a wijk."))
            return
        wijken = await active_wijken(turn.session, member.region_id)
        rows = [[InlineKeyboardButton(w.name, callback_data=encode(Action.LINK_GROUP, w.id))] for w in wijken]
        await turn.commit()
        await message.reply_text(
            turn.t.gettext("Link this group to which wijk?"), reply_markup=InlineKeyboardMarkup(rows)
        )


async def choose_wijk(update: Update, context: BotContext) -> None:
    """The coordinator's choice; anyone else's press is answered privately and changes nothing."""
    query = update.callback_query
    chat = update.effective_chat
    assert query is not None and chat is not None
    data = decode(query.data)
    async with open_turn(update, context) as turn:
        wijk = None
        if data is not None and data.int_arg(0) is not None and chat.type in ("group", "supergroup"):
            wijk = await link_group(
                turn.session, now=turn.now, member=turn.member, chat_id=chat.id, wijk_id=data.int_arg(0) or 0
            )
        if wijk is None:
            await query.answer(
                turn.t.gettext("Only a regional coordinator can link a group to a wijk."), show_alert=True
            )
            return
        await turn.commit()
        await query.answer()
        await edit_if_changed(
            query,
            turn.t.gettext(
                "This group is linked to wijk {wijk}: new requests of the wijk appear here. Only members who can fill "
                "a request can offer; the bot only reads commands and buttons here."
            ).format(wijk=escape(wijk.name)),
        )


async def unlink(update: Update, context: BotContext) -> None:
    """Stop posting requests in this group."""
    message = update.effective_message
    chat = update.effective_chat
    assert message is not None and chat is not None
    async with open_turn(update, context) as turn:
        if not await unlink_group(turn.session, now=turn.now, member=turn.member, chat_id=chat.id):
            await turn.commit()  # see general.release_before_reply
            await message.reply_text(
                turn.t.gettext("Only a regional coordinator can unlink a group, and this group must be linked.")
            )
            return
        await turn.commit()
        await message.reply_text(turn.t.gettext("This group is no longer linked; new requests will not appear here."))


def build() -> list[BaseHandler[Update, BotContext, None]]:
    """The handlers of this feature (groups only)."""
    groups = filters.ChatType.GROUPS
    return [
        CommandHandler(["koppelgroep", "linkgroup"], start_link, filters=groups),
        CommandHandler(["ontkoppelgroep", "unlinkgroup"], unlink, filters=groups),
        CallbackQueryHandler(choose_wijk, pattern=pattern(Action.LINK_GROUP)),
    ]
