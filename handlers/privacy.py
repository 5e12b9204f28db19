"""The AVG commands: `/privacy` (what is stored and why), `/mijngegevens` (`/mydata`: everything, as a JSON
file) and `/verwijdermij` (`/deleteme`: remove it, after a confirmation only the same person can give)."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import BotCommandScopeChat, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import BaseHandler, CommandHandler, ConversationHandler, filters

from bot.i18n import N_, Translator
from bot.permissions import is_self
from bot.services.privacy_export import export_data, record_export
from bot.services.privacy_rights import (
    DeletionPlan,
    DeletionReport,
    coordinators_of,
    delete_member,
    plan_deletion,
)
from db.models import Member
from handlers.callback_data import Action, Callback, encode
from handlers.context import BotContext, open_turn
from handlers.editing import edit_if_changed
from handlers.entry import Press, Said, command, press
from handlers.request_views import person

log = logging.getLogger(__name__)

# A confirmation button older than this is stale: what it would do may have changed since it was shown.
CONFIRM_MINUTES = 15


# --- /privacy ------------------------------------------------------------------------------------------------


def privacy_text(t: Translator, *, days: int, coordinators: list[Member] | None) -> str:
    """What is stored, why, how long, who sees it and whom to ask (HTML). `coordinators` None: say it generally
    (a stranger, or a group chat, where names do not belong)."""
    if coordinators:
        contact = t.gettext("the coordinators of your region: {names}").format(
            names=", ".join(person(member, t) for member in coordinators)
        )
    else:
        contact = t.gettext("the regional coordinator of your GP organisation (who sent your invitation)")
    return "\n\n".join(
        [
            t.gettext("<b>Privacy (AVG)</b>"),
            t.gettext(
                "<b>What is stored</b>: your Telegram id and name, your language, your practice, wijk and roles "
                "and when you joined; your phone number only if you share it (/profiel). When and how far you "
                "can help, days off, a pause and quiet hours. The requests you post, your offers, your answers "
                "to meetings, action points, and a log of what you did (ids and event names, no message texts). "
                "While you fill in a form: its draft. Your Telegram username is not stored."
            ),
            t.gettext(
                "<b>Why</b>: to ask the right people when a practice is short of staff, to tell you about "
                "requests and meetings, and so that the practice you help can reach you. It is used for nothing "
                "else and not shared outside the network."
            ),
            t.gettext(
                "<b>How long</b>: as long as you are a member. Free-text notes of closed requests are erased "
                "after {days} days. /verwijdermij removes your personal data at once; what stays are facts "
                "without your name (a practice's request was filled on a date) for the coordinators' figures."
            ).format(days=days),
            t.gettext(
                "<b>Who sees it</b>: the practices you offer help to, or ask for help, see your name and practice "
                "(and your phone number if you share it); organisers see your answer to their meeting; the "
                "coordinators of your region see requests, offers and the log. Nobody outside the network."
            ),
            t.gettext(
                "<b>Your rights</b>: /mijngegevens sends you everything stored about you as a file; "
                "/verwijdermij removes it. For questions, corrections or objections, ask {contact}."
            ).format(contact=contact),
            t.gettext("Never put patient data in this chat."),
        ]
    )


@command("privacy")
async def show_privacy(said: Said) -> None:
    """Answer anyone, members and strangers alike; coordinators are named only to members, in private."""
    chat = said.update.effective_chat
    coordinators = None
    if said.member is not None and chat is not None and chat.type == chat.PRIVATE:
        coordinators = await coordinators_of(said.session, said.member.region_id)
    days = said.turn.runtime.settings.notes_retention_days
    text = privacy_text(said.t, days=days, coordinators=coordinators)
    await said.turn.commit()  # a reply in a group may wait for its rate limit: hold no database lock meanwhile
    await said.message.reply_html(text)


# --- /mijngegevens -------------------------------------------------------------------------------------------


@command("mijngegevens", "mydata")
async def export_mine(said: Said) -> None:
    """Send everything stored about the person as a JSON document; the export is audited."""
    user = said.update.effective_user
    if user is None:
        return
    t, turn = said.t, said.turn
    data = await export_data(turn.session, now=turn.now, telegram_user_id=user.id)
    if turn.member is not None:
        await record_export(turn.session, now=turn.now, member=turn.member)
        caption = t.gettext("Everything Wijkhulp stores about you. /privacy explains it; /verwijdermij removes it.")
    else:
        caption = t.gettext("Wijkhulp stores no personal data about you.")
    await turn.commit()
    log.info("member.exported member=%s", turn.member.id if turn.member else None)
    content = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode()
    stem = "mijngegevens" if t.language == "nl" else "mydata"
    filename = f"wijkhulp-{stem}-{turn.now.astimezone(t.zone):%Y-%m-%d}.json"
    await said.message.reply_document(InputFile(content, filename=filename), caption=caption)


# --- /verwijdermij -------------------------------------------------------------------------------------------


def _minute(now: datetime) -> int:
    return int(now.timestamp() // 60)


def confirm_text(t: Translator, plan: DeletionPlan, region: str) -> str:
    """The question, with what will happen to offers, requests and meetings (HTML)."""
    lines = [
        t.gettext("<b>Remove your data from Wijkhulp?</b>"),
        t.gettext(
            "Your name, phone number, language, roles, availability and days off, your invitations to upcoming "
            "meetings and any draft are removed, and your Telegram account is unlinked: afterwards the bot no "
            "longer knows you, and you need a new invitation to join again."
        ),
    ]
    if plan.offers:
        lines.append(
            t.ngettext(
                "Your open offer is withdrawn; the practice is told.",
                "Your {n} open offers are withdrawn; the practices are told.",
                plan.offers,
            ).format(n=plan.offers)
        )
    if plan.handed_over:
        lines.append(
            t.ngettext(
                "Your running request goes to a colleague at your practice, who is told.",
                "Your {n} running requests go to a colleague at your practice, who is told.",
                plan.handed_over,
            ).format(n=plan.handed_over)
        )
    if plan.cancelled:
        lines.append(
            t.ngettext(
                "Your running request is cancelled (nobody at your practice can take it over); whoever offered "
                "is told.",
                "Your {n} running requests are cancelled (nobody at your practice can take them over); whoever "
                "offered is told.",
                plan.cancelled,
            ).format(n=plan.cancelled)
        )
    if plan.booked:
        lines.append(
            t.ngettext(
                "Your running request with help already booked stays as it is, without your name; the "
                "coordinator can still act on it.",
                "Your {n} running requests with help already booked stay as they are, without your name; the "
                "coordinator can still act on them.",
                plan.booked,
            ).format(n=plan.booked)
        )
    if plan.last_coordinator:
        lines.append(
            t.gettext(
                "⚠️ You are the last coordinator of {region}. Afterwards nobody can invite people or plan "
                "meetings for the region until a new coordinator is added (add-coordinator on the command line)."
            ).format(region=escape(region))
        )
    lines.append(
        t.gettext(
            "What stays, without your name: facts such as a practice's request being filled on a date, for the "
            "coordinators' figures. This cannot be undone."
        )
    )
    return "\n\n".join(lines)


@command("verwijdermij", "deleteme")
async def ask_delete(said: Said) -> None:
    """Say what deleting would do and ask; the buttons carry the member's id and when they were shown."""
    t, member = said.t, said.member
    if member is None:
        await said.reply(N_("Wijkhulp stores no personal data about you; there is nothing to remove."))
        return
    plan = await plan_deletion(said.session, now=said.now, member=member)
    minute = _minute(said.now)
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.gettext("Yes, remove my data"), callback_data=encode(Action.DELETE_ME, "y", member.id, minute)
                )
            ],
            [
                InlineKeyboardButton(
                    t.gettext("No, keep everything"), callback_data=encode(Action.DELETE_ME, "n", member.id, minute)
                )
            ],
        ]
    )
    await said.message.reply_html(confirm_text(t, plan, member.region.name), reply_markup=markup)


def done_text(t: Translator, report: DeletionReport) -> str:
    """What was done (HTML)."""
    lines = [t.gettext("Your personal data is removed and your Telegram account is unlinked. Thank you for helping!")]
    if report.withdrawn:
        n = len(report.withdrawn)
        lines.append(t.ngettext("{n} offer withdrawn.", "{n} offers withdrawn.", n).format(n=n))
    if report.kept:
        n = len(report.kept)
        lines.append(
            t.ngettext(
                "{n} booking has already begun and stays as it is.",
                "{n} bookings have already begun and stay as they are.",
                n,
            ).format(n=n)
        )
    if report.handed_over:
        n = len(report.handed_over)
        lines.append(t.ngettext("{n} request handed over.", "{n} requests handed over.", n).format(n=n))
    if report.cancelled:
        n = len(report.cancelled)
        lines.append(t.ngettext("{n} request cancelled.", "{n} requests cancelled.", n).format(n=n))
    if report.booked:
        n = len(report.booked)
        lines.append(
            t.ngettext("{n} request with help booked kept.", "{n} requests with help booked kept.", n).format(n=n)
        )
    lines.append(t.gettext("To join again you need a new invitation."))
    return "\n".join(lines)


def _forget_state(context: BotContext, user_id: int) -> None:
    """The rows are gone from the database; drop PTB's copies in memory too, so nothing writes them back."""
    if context.user_data is not None:
        context.user_data.clear()
    if context.chat_data is not None:  # the private chat's data (its id is the user's)
        context.chat_data.clear()
    for handlers in context.application.handlers.values():
        for handler in handlers:
            if isinstance(handler, ConversationHandler):
                # PTB has no public way to end someone's conversation from outside; _update_state is what
                # the handler itself uses, and it marks the key for the persistence to delete.
                for key in [key for key in handler._conversations if user_id in key]:
                    handler._update_state(ConversationHandler.END, key)


STALE_CONFIRMATION = N_("This button no longer works. Send /verwijdermij again to remove your data.")


async def button_owner(session: AsyncSession, data: Callback, member: Member | None) -> int | None:
    """The member a removal button was made for (its second argument)."""
    return data.int_arg(1)


@press(Action.DELETE_ME, rule=is_self, subject=button_owner, refusal=STALE_CONFIRMATION)
async def delete_pressed(press: Press[int]) -> None:
    """Yes or no; only from the person asked, within CONFIRM_MINUTES, and only once."""
    choice = press.data.args[0]
    minute = press.data.int_arg(2)
    if choice not in ("y", "n") or minute is None or not 0 <= _minute(press.now) - minute <= CONFIRM_MINUTES:
        await press.refuse(STALE_CONFIRMATION)
        return
    if choice == "n":
        await press.query.answer()
        await edit_if_changed(press.query, press.t.gettext("Nothing was removed."))
        return
    await _delete(press)


async def _delete(press: Press[int]) -> None:
    """Remove the member's data, forget their state in memory, and say what was done."""
    t, member, query = press.t, press.actor, press.query
    member_id, user_id = member.id, query.from_user.id
    report = await delete_member(press.session, now=press.now, member=member)
    await press.turn.commit()
    if report is None:
        await press.refuse(STALE_CONFIRMATION)
        return
    _forget_state(press.context, user_id)  # before anything else can await: PTB must not save the draft back
    await query.answer()
    log.info("member.deleted member=%s", member_id)
    await edit_if_changed(query, done_text(t, report))
    # The chat's own menu was set in the member's language; the default menu serves strangers.
    await query.get_bot().delete_my_commands(scope=BotCommandScopeChat(user_id))


# --- wiring --------------------------------------------------------------------------------------------------


async def private_please(update: Update, context: BotContext) -> None:
    """Personal data is never shown in a group: point to the private chat."""
    message = update.effective_message
    if message is None:
        return
    async with open_turn(update, context) as turn:
        text = turn.t.gettext("This is about your personal data: send the command to me in a private chat.")
        await turn.commit()  # the group's rate limit may hold the reply: hold no database lock meanwhile
    await message.reply_text(text)


def build() -> list[BaseHandler[Update, BotContext, None]]:
    """The handlers of this feature."""
    mine = ["mijngegevens", "mydata", "verwijdermij", "deleteme"]
    return [
        show_privacy.handler(),
        export_mine.handler(filters=filters.ChatType.PRIVATE),
        ask_delete.handler(filters=filters.ChatType.PRIVATE),
        CommandHandler(mine, private_please, filters=filters.ChatType.GROUPS),
        delete_pressed.handler(),
    ]
