"""`/profiel` (who am I here) and `/taal` (Nederlands or English)."""

from __future__ import annotations

from html import escape

from telegram import BotCommandScopeChat, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.config import SUPPORTED_LANGUAGES
from bot.services.members import set_language
from handlers.callback_data import Action, decode, encode, pattern
from handlers.commands import command_menu
from handlers.context import BotContext, open_turn, translator_for
from handlers.texts import LANGUAGE_NAMES, roles_label, where_label


async def show_profile(update: Update, context: BotContext) -> None:
    """Show name, practice, wijk, roles and language."""
    message = update.effective_message
    if message is None:
        return
    async with open_turn(update, context) as turn:
        t, member = turn.t, turn.member
        if member is None:
            await message.reply_text(t.gettext("You are not a member yet. Open your invitation link to join."))
            return
        lines = [
            t.gettext("<b>Your profile</b>"),
            t.gettext("Name: {name}").format(name=escape(member.display_name or "-")),
            t.gettext("Where: {where}").format(where=where_label(t, member)),
            t.gettext("Roles: {roles}").format(roles=escape(roles_label(t, member))),
            t.gettext("Language: {language}").format(language=LANGUAGE_NAMES[t.language]),
            t.gettext("Phone number: shared")
            if member.phone and member.share_phone
            else t.gettext("Phone number: not shared"),
        ]
        await message.reply_html("\n".join(lines))


async def ask_language(update: Update, context: BotContext) -> None:
    """Offer the two languages as buttons."""
    message = update.effective_message
    if message is None:
        return
    async with open_turn(update, context) as turn:
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(LANGUAGE_NAMES[code], callback_data=encode(Action.LANGUAGE, code))
                    for code in SUPPORTED_LANGUAGES
                ]
            ]
        )
        await message.reply_text(turn.t.gettext("Which language do you want?"), reply_markup=keyboard)


async def choose_language(update: Update, context: BotContext) -> None:
    """Store the chosen language and answer in it; the command menu follows for this chat."""
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None:
        return
    data = decode(query.data)
    async with open_turn(update, context) as turn:
        language = data.args[0] if data and data.args else ""
        if language not in SUPPORTED_LANGUAGES:
            await query.answer(turn.t.gettext("This button no longer works."))
            return
        if turn.member is None:
            await query.answer(
                turn.t.gettext("Join first; until then I follow your Telegram language."), show_alert=True
            )
            return
        await set_language(turn.session, turn.member, language)
        t = translator_for(turn.runtime, turn.member, None)
        await query.answer()
        await query.edit_message_text(
            t.gettext("Language set to {language}.").format(language=LANGUAGE_NAMES[language]),
            parse_mode=ParseMode.HTML,
        )
        await query.get_bot().set_my_commands(command_menu(t, turn.member), scope=BotCommandScopeChat(user.id))


def build() -> list[BaseHandler[Update, BotContext, None]]:
    """The handlers of this feature."""
    return [
        CommandHandler(["profiel", "profile"], show_profile),
        CommandHandler(["taal", "language"], ask_language),
        CallbackQueryHandler(choose_language, pattern=pattern(Action.LANGUAGE)),
    ]
