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
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, MessageHandler, filters

from bot.config import SUPPORTED_LANGUAGES
from bot.i18n import N_, Translator
from bot.permissions import is_member
from bot.services.calendars import feed_created_at, new_feed, revoke_feed
from bot.services.members import set_language, share_phone, stop_sharing_phone
from db.models import Member
from handlers.callback_data import Action, encode
from handlers.commands import command_menu
from handlers.context import BotContext, open_turn, translator_for
from handlers.editing import edit_if_changed, remove_buttons
from handlers.entry import Press, Said, command, press
from handlers.texts import LANGUAGE_NAMES, member_name, roles_label, where_label

NOT_A_MEMBER = N_("You are not a member yet. Open your invitation link to join.")


@command("profiel", "profile", rule=is_member, refusal=NOT_A_MEMBER)
async def show_profile(said: Said) -> None:
    """Show name, practice, wijk, roles and language."""
    t, member = said.t, said.actor
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
    await said.message.reply_html("\n".join(lines), reply_markup=profile_buttons(t, member))


def profile_buttons(t: Translator, member: Member) -> InlineKeyboardMarkup:
    """Share or stop sharing the phone number (always the member's own choice), and the calendar feed."""
    if member.phone and member.share_phone:
        label, choice = t.gettext("Stop sharing my phone number"), "stop"
    else:
        label, choice = t.gettext("Share my phone number"), "share"
    feed = t.gettext("📆 My calendar feed")
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=encode(Action.PHONE, choice))],
            [InlineKeyboardButton(feed, callback_data=encode(Action.CALENDAR_FEED, "show"))],
        ]
    )


FEED_CHOICES = ("show", "new", "stop")


def feed_url(base: str, token: str) -> str:
    """The feed's address on the bot's web server."""
    return f"{base}/calendar/{token}.ics"


def feed_buttons(t: Translator) -> InlineKeyboardMarkup:
    """Make a new link (the old one stops working) or stop the feed."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.gettext("New link (the old one stops)"), callback_data=encode(Action.CALENDAR_FEED, "new")
                )
            ],
            [InlineKeyboardButton(t.gettext("Stop the feed"), callback_data=encode(Action.CALENDAR_FEED, "stop"))],
        ]
    )


def feed_text(t: Translator, url: str) -> str:
    """The new link, once: the bot keeps only its hash."""
    return "\n".join(
        [
            t.gettext("<b>Your calendar feed</b>"),
            f"<code>{escape(url)}</code>",
            "",
            t.gettext(
                "Subscribe to this address in your calendar (Google Calendar on a computer: Other calendars, "
                "From URL; Outlook: Add calendar, Subscribe from web; iPhone: Settings, Calendar, Accounts, Add "
                "Subscribed Calendar). It shows your meetings of the coming year; moved and cancelled dates follow "
                "by themselves."
            ),
            t.gettext(
                "Keep it to yourself: anyone with the link sees your meetings. The bot shows it only now; if you "
                "lose it, make a new one."
            ),
        ]
    )


@press(Action.CALENDAR_FEED, rule=is_member, alert=False)
async def calendar_feed(press: Press[None]) -> None:
    """Show a new feed link (made on first use), say when the current one was made, renew it or stop it."""
    t, member, query, turn = press.t, press.actor, press.query, press.turn
    choice = press.data.args[0] if press.data.args else ""
    if choice not in FEED_CHOICES:
        await press.refuse(N_("This button no longer works."), alert=False)
        return
    base = turn.runtime.settings.calendar_base_url
    send = query.get_bot().send_message
    if choice == "stop":
        stopped = await revoke_feed(turn.session, member=member)
        await turn.commit()
        await query.answer()
        text = t.gettext("Your calendar feed is stopped: its link no longer works.")
        await send(member.telegram_user_id, text if stopped else t.gettext("You have no calendar feed."))
        return
    if not base:
        await query.answer()
        await send(
            member.telegram_user_id,
            t.gettext(
                "The calendar feed needs the bot's web server, and this bot runs without one. Ask your "
                "coordinator; until then, use the calendar file or the buttons under each invitation."
            ),
        )
        return
    made = await feed_created_at(turn.session, member) if choice == "show" else None
    if made is not None:
        await query.answer()
        text = t.gettext(
            "You made your calendar feed link on {day}. The bot keeps no copy of it, so it cannot show it again: "
            "find it higher up in this chat, or make a new one (the old one then stops working)."
        ).format(day=t.format_day(made))
        await send(member.telegram_user_id, text, reply_markup=feed_buttons(t))
        return
    token = await new_feed(turn.session, now=turn.now, member=member)
    await turn.commit()
    await query.answer()
    await send(
        member.telegram_user_id,
        feed_text(t, feed_url(base, token)),
        parse_mode=ParseMode.HTML,
        reply_markup=feed_buttons(t),
    )


@press(Action.PHONE, rule=is_member, alert=False)
async def phone_choice(press: Press[None]) -> None:
    """Start sharing (Telegram's own contact button, so it is really their number) or stop."""
    t, member, query, turn = press.t, press.actor, press.query, press.turn
    choice = press.data.args[0] if press.data.args else ""
    if choice not in ("share", "stop"):
        await press.refuse(N_("This button no longer works."), alert=False)
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


@command("taal", "language")
async def ask_language(said: Said) -> None:
    """Offer the two languages as buttons."""
    turn, message = said.turn, said.message
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


@press(Action.LANGUAGE, checked_by=is_member, alert=False)
async def choose_language(press: Press[None]) -> None:
    """Store the chosen language and answer in it; the command menu follows for this chat. A language that is
    not offered is a stale or forged button, whoever presses it; then only members may choose."""
    turn, query, member = press.turn, press.query, press.member
    language = press.data.args[0] if press.data.args else ""
    if language not in SUPPORTED_LANGUAGES:
        await press.refuse(N_("This button no longer works."), alert=False)
        return
    if not is_member(member) or member is None:
        await press.refuse(N_("Join first; until then I follow your Telegram language."))
        return
    await set_language(turn.session, member, language)
    await turn.commit()
    t = translator_for(turn.runtime, member, None)
    await query.answer()
    await edit_if_changed(query, t.gettext("Language set to {language}.").format(language=LANGUAGE_NAMES[language]))
    await query.get_bot().set_my_commands(command_menu(t, member), scope=BotCommandScopeChat(query.from_user.id))


def build() -> list[BaseHandler[Update, BotContext, None]]:
    """The handlers of this feature."""
    return [
        show_profile.handler(filters=filters.ChatType.PRIVATE),
        ask_language.handler(),
        choose_language.handler(),
        phone_choice.handler(),
        calendar_feed.handler(),
        MessageHandler(filters.CONTACT & filters.ChatType.PRIVATE, receive_contact),
    ]
