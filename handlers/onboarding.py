"""Joining: `/start CODE` from an invite link, the privacy notice, confirm or decline."""

from __future__ import annotations

import logging
from datetime import datetime
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, filters

from bot.flood import CodeFailures
from bot.i18n import Translator
from bot.services.invites import (
    InviteCheck,
    InviteStatus,
    JoinOutcome,
    check_invite,
    join_conflict,
    join_with_invite,
)
from bot.services.text import clean_name, isolated
from db.models import Invite, Member
from handlers.callback_data import Action, encode
from handlers.context import BotContext
from handlers.editing import edit_if_changed
from handlers.entry import STALE, Press, Said, command, declare, press
from handlers.texts import help_text, privacy_notice, role_label, where_label

log = logging.getLogger(__name__)

# Deep-link payloads are at most 64 characters of this alphabet; anything else cannot be a code.
_MAX_CODE = 64
CODE_FAILURES_KEY = "code_failures"


def invite_target(t: Translator, invite: Invite) -> str:
    """`Praktijk X (wijk Y)` or the student pool, HTML-escaped."""
    if invite.practice is not None:
        return t.gettext("{practice} (wijk {wijk})").format(
            practice=escape(invite.practice.name), wijk=escape(invite.practice.wijk.name)
        )
    return t.gettext("the student pool of {region}").format(region=escape(invite.region.name))


def refusal(t: Translator, check: InviteCheck) -> str:
    """Why a code cannot be used, and how to get a new one."""
    ask = t.gettext(
        "Ask the regional coordinator (or your practice manager, who can ask for you) for a new invitation link."
    )
    if check.status is InviteStatus.EXPIRED:
        return t.gettext("This invitation has expired.") + " " + ask
    if check.status is InviteStatus.USED_UP:
        return t.gettext("This invitation has already been used.") + " " + ask
    return t.gettext("I don't know this invitation code.") + " " + ask


def conflict_text(t: Translator, outcome: JoinOutcome, member: Member) -> str:
    """Why an existing member cannot take this invite."""
    if outcome is JoinOutcome.ALREADY_MEMBER:
        return t.gettext("You are already a member in this role. /help shows what you can do.")
    if outcome is JoinOutcome.OTHER_REGION:
        return t.gettext("This invitation is for another region. Ask your coordinator to move you.")
    return t.gettext(
        "You are already a member of {where}. Ask the regional coordinator if you have moved to another practice."
    ).format(where=where_label(t, member))


@command("start", key="start CODE", checked_by=join_conflict)
async def start(said: Said) -> None:
    """Greet: with an invite code, show what it is for and ask to confirm; without, explain or show the menu.
    The table has two rows for it: `/start` (anyone) and `/start CODE` (decided by `join_conflict`, checked
    here because its refusal says why); see `declare` below."""
    user = said.update.effective_user
    code = said.args[0] if said.args else ""
    if user is None:
        return
    if not code:
        await said.message.reply_html(help_text(said.t, said.member))
        return
    await _offer_invite(said, code, user.full_name)


declare("command", "start", handler=start)


def _code_failures(context: BotContext) -> CodeFailures:
    """This process's count of unknown codes (see bot/flood.py)."""
    failures = context.bot_data.get(CODE_FAILURES_KEY)
    if failures is None:
        settings = context.runtime.settings
        failures = CodeFailures(
            settings.code_failures_per_person, settings.code_failures_overall, settings.code_failures_window_seconds
        )
        context.bot_data[CODE_FAILURES_KEY] = failures
    assert isinstance(failures, CodeFailures)
    return failures


def _too_many(context: BotContext, user_id: int, now: datetime) -> bool:
    """Whether this person may not try a code now; logged (their id, never the code)."""
    if not _code_failures(context).blocked(user_id, now.timestamp()):
        return False
    log.warning("invite.code_attempt_refused user=%s", user_id)
    return True


def _count(context: BotContext, check: InviteCheck, user_id: int, now: datetime) -> None:
    """An unknown code is a failed attempt: counted, and logged by whom and how many (never the code)."""
    if check.status is InviteStatus.UNKNOWN:
        mine, everyone = _code_failures(context).failed(user_id, now.timestamp())
        log.warning("invite.code_unknown user=%s failures_user=%s failures_all=%s", user_id, mine, everyone)


def too_many_text(t: Translator) -> str:
    """The answer to a code tried after too many unknown ones."""
    return t.gettext(
        "Too many invitation codes were wrong just now. Please try your link again in a quarter of an hour, or "
        "ask whoever invited you for a new one."
    )


async def _offer_invite(said: Said, code: str, full_name: str) -> None:
    """What the invitation is for, and the buttons to join or not; or why it cannot be used."""
    t, message = said.t, said.message
    user_id = said.update.effective_user.id if said.update.effective_user else 0
    if _too_many(said.context, user_id, said.now):
        await message.reply_text(too_many_text(t))
        return
    check = await check_invite(said.session, code[:_MAX_CODE], said.now)
    _count(said.context, check, user_id, said.now)
    if check.status is not InviteStatus.VALID or check.invite is None:
        await message.reply_text(refusal(t, check))
        return
    invite = check.invite
    if said.member is not None:
        conflict = join_conflict(said.member, invite)
        if conflict is not None:
            await message.reply_html(conflict_text(t, conflict, said.member))
            return
    text = "\n\n".join(
        [
            t.gettext("Welcome, {name}!").format(name=escape(isolated(clean_name(full_name)))),
            t.gettext("This invitation is for <b>{target}</b> as <b>{role}</b>.").format(
                target=invite_target(t, invite), role=escape(role_label(t, invite.role))
            ),
            privacy_notice(t),
            t.gettext("Do you want to join?"),
        ]
    )
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(t.gettext("Yes, join"), callback_data=encode(Action.JOIN_CONFIRM, code))],
            [InlineKeyboardButton(t.gettext("No, thanks"), callback_data=encode(Action.JOIN_DECLINE, code))],
        ]
    )
    await message.reply_html(text, reply_markup=keyboard)


@press(Action.JOIN_CONFIRM, checked_by=join_conflict, alert=False)
async def confirm_join(press: Press[None]) -> None:
    """Redeem the invite in the button; the code itself is checked again, as it may have changed (the service
    refuses a conflicting membership: `join_conflict`)."""
    t, query, user = press.t, press.query, press.query.from_user
    if not press.data.args:
        await press.refuse(STALE, alert=False)
        return
    if _too_many(press.context, user.id, press.now):  # a forged button is a code tried too
        await query.answer(too_many_text(t), show_alert=True)
        return
    result = await join_with_invite(
        press.session,
        now=press.now,
        code=press.data.args[0],
        telegram_user_id=user.id,
        display_name=user.full_name,
        language=t.language,
    )
    _count(press.context, result.check, user.id, press.now)
    await press.turn.commit()
    await query.answer()
    invite, member = result.check.invite, result.member
    if result.outcome is None or invite is None or member is None:
        await edit_if_changed(query, escape(refusal(t, result.check)))
        return
    if result.outcome not in (JoinOutcome.JOINED, JoinOutcome.ROLE_ADDED):
        await edit_if_changed(query, conflict_text(t, result.outcome, member))
        return
    welcome = t.gettext("You are now a member: {role} at {where}.").format(
        role=escape(role_label(t, invite.role)), where=where_label(t, member)
    )
    await edit_if_changed(query, welcome)
    await query.get_bot().send_message(user.id, help_text(t, member), parse_mode=ParseMode.HTML)


@press(Action.JOIN_DECLINE)
async def decline_join(press: Press[None]) -> None:
    """Leave the invite unused; the link keeps working until it expires."""
    await press.query.answer()
    await edit_if_changed(
        press.query, escape(press.t.gettext("Okay, you have not joined. You can open the invitation link again later."))
    )


def build() -> list[BaseHandler[Update, BotContext, None]]:
    """The handlers of this feature."""
    return [
        start.handler(filters=filters.ChatType.PRIVATE),
        confirm_join.handler(),
        decline_join.handler(),
    ]
