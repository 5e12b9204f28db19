"""`/profiel` (who am I here) and `/taal` (Nederlands or English)."""

from __future__ import annotations

from html import escape

from telegram import (
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.config import SUPPORTED_LANGUAGES
from bot.i18n import Translator
from bot.services.members import set_language, share_phone, stop_sharing_phone
from db.models import Member
from handlers.callback_data import Action, decode, encode, pattern
from handlers.commands import command_menu
from handlers.context import BotContext, open_turn, translator_for
from handlers.editing import edit_if_changed, remove_buttons
from handlers.texts import LANGUAGE_NAMES, member_name, roles_label, where_label


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
            t.gettext("Name: {name}").format(name=escape(member_name(t, member))),
            t.gettext("Where: {where}").format(where=where_label(t, member)),
            t.gettext("Roles: {roles}").format(roles=escape(roles_label(t, member))),
            t.gettext("Language: {language}").format(language=LANGUAGE_NAMES[t.language]),
            t.gettext("Phone number: shared")
            if member.phone and member.share_phone
            else t.gettext("Phone number: not shared"),
        ]
        await message.reply_html("\n".join(lines), reply_markup=phone_button(t, member))


def phone_button(t: Translator, member: Member) -> InlineKeyboardMarkup:
    """Share or stop sharing the phone number: always the member's own choice."""
    if member.phone and member.share_phone:
        label, choice = t.gettext("Stop sharing my phone number"), "stop"
    else:
        label, choice = t.gettext("Share my phone number"), "share"
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=encode(Action.PHONE, choice))]])


async def phone_choice(update: Update, context: BotContext) -> None:
    """Start sharing (Telegram's own contact button, so it is really their number) or stop."""
    query = update.callback_query
    if query is None:
        return
    data = decode(query.data)
    async with open_turn(update, context) as turn:
        t, member = turn.t, turn.member
        choice = data.args[0] if data and data.args else ""
        if member is None or choice not in ("share", "stop"):
            await query.answer(t.gettext("This button no longer works."))
            return
        await query.answer()
        await remove_buttons(query)
        if choice == "stop":
            await stop_sharing_phone(turn.session, now=turn.now, member=member)
            await turn.commit()
            await query.get_bot().send_message(member.telegram_user_id, t.gettext("Your phone number is deleted."))
            return
        keyboard = ReplyKeyboardMarkup(
            [[KeyboardButton(t.gettext("Share my phone number"), request_contact=True)]],
            one_time_keyboard=True,
            resize_keyboard=True,
        )
        await query.get_bot().send_message(
            member.telegram_user_id,
            t.gettext(
                "Press the button below to share your number. Only people you arrange help with will see "
                "it. /annuleer to stop."
            ),
            reply_markup=keyboard,
        )


async def receive_contact(update: Update, context: BotContext) -> None:
    """Store the member's own number; someone else's contact is refused."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None or message.contact is None:
        return
    async with open_turn(update, context) as turn:
        t, member = turn.t, turn.member
        if member is None:
            await message.reply_text(
                t.gettext("You are not a member yet. Open your invitation link to join."),
                reply_markup=ReplyKeyboardRemove(),
            )
            return
        if message.contact.user_id != user.id:
            await message.reply_text(
                t.gettext("Please share your own number, with the button."), reply_markup=ReplyKeyboardRemove()
            )
            return
        await share_phone(turn.session, now=turn.now, member=member, phone=message.contact.phone_number)
        await turn.commit()
        await message.reply_text(
            t.gettext("Thank you. Your number is shown only to people you arrange help with. /profiel to stop."),
            reply_markup=ReplyKeyboardRemove(),
        )


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
        await turn.commit()  # /taal also works in groups; see general.release_before_reply
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
        await turn.commit()
        t = translator_for(turn.runtime, turn.member, None)
        await query.answer()
        await edit_if_changed(query, t.gettext("Language set to {language}.").format(language=LANGUAGE_NAMES[language]))
        await query.get_bot().set_my_commands(command_menu(t, turn.member), scope=BotCommandScopeChat(user.id))


def build() -> list[BaseHandler[Update, BotContext, None]]:
    """The handlers of this feature."""
    return [
        CommandHandler(["profiel", "profile"], show_profile, filters=filters.ChatType.PRIVATE),
        CommandHandler(["taal", "language"], ask_language),
        CallbackQueryHandler(choose_language, pattern=pattern(Action.LANGUAGE)),
        CallbackQueryHandler(phone_choice, pattern=pattern(Action.PHONE)),
        MessageHandler(filters.CONTACT & filters.ChatType.PRIVATE, receive_contact),
    ]
