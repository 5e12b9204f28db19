"""`/uitnodiging`: a coordinator picks wijk, practice and role with buttons, and gets an invitation link."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.i18n import Translator
from bot.permissions import is_coordinator, may_browse_wijk, may_invite_to
from bot.services.invites import create_invite
from bot.services.network import active_practices, active_wijken
from db.models import INVITABLE_ROLES, PRACTICE_ROLES, Practice, Role, Wijk
from handlers.callback_data import Action, Callback, decode, encode, pattern
from handlers.context import BotContext, Turn, open_turn
from handlers.editing import edit_if_changed
from handlers.texts import role_label


def deep_link(bot_username: str, code: str) -> str:
    """The link that opens the bot with the code as /start payload."""
    return f"https://t.me/{bot_username}?start={code}"


def _rows(buttons: list[InlineKeyboardButton], per_row: int = 2) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


def _back(t: Translator) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(t.gettext("« Back to the wijken"), callback_data=encode(Action.INVITE_BACK))]


async def _wijk_menu(turn: Turn) -> tuple[str, InlineKeyboardMarkup]:
    assert turn.member is not None
    t = turn.t
    wijken = await active_wijken(turn.session, turn.member.region_id)
    buttons = [InlineKeyboardButton(w.name, callback_data=encode(Action.INVITE_WIJK, w.id)) for w in wijken]
    pool = InlineKeyboardButton(
        role_label(t, Role.MEDISCH_STUDENT), callback_data=encode(Action.INVITE_ROLE, 0, Role.MEDISCH_STUDENT.value)
    )
    return t.gettext("Invitation: for which wijk?"), InlineKeyboardMarkup([*_rows(buttons), [pool]])


async def start_invite(update: Update, context: BotContext) -> None:
    """Begin: show the region's wijken and the student pool."""
    message = update.effective_message
    if message is None:
        return
    async with open_turn(update, context) as turn:
        if turn.member is None or not is_coordinator(turn.member):
            await message.reply_text(turn.t.gettext("Only a regional coordinator can make invitations."))
            return
        text, keyboard = await _wijk_menu(turn)
        await message.reply_text(text, reply_markup=keyboard)


async def _answer_denied(update: Update, turn: Turn) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer(turn.t.gettext("You cannot do that (any more)."), show_alert=True)


async def invite_step(update: Update, context: BotContext) -> None:
    """One press in the invite menu; every press is checked against the presser's rights again."""
    query = update.callback_query
    if query is None:
        return
    data = decode(query.data)
    async with open_turn(update, context) as turn:
        member = turn.member
        if data is None or member is None or not is_coordinator(member):
            await _answer_denied(update, turn)
            return
        if data.action is Action.INVITE_BACK:
            await query.answer()
            text, keyboard = await _wijk_menu(turn)
            await edit_if_changed(query, escape(text), keyboard)
        elif data.action is Action.INVITE_WIJK:
            await _choose_practice(update, turn, data)
        elif data.action is Action.INVITE_PRACTICE:
            await _choose_role(update, turn, data)
        else:
            await _make_link(update, context, turn, data)


async def _choose_practice(update: Update, turn: Turn, data: Callback) -> None:
    query = update.callback_query
    assert query is not None
    wijk_id = data.int_arg(0)
    wijk = await turn.session.get(Wijk, wijk_id) if wijk_id else None
    if not may_browse_wijk(turn.member, wijk) or wijk is None:
        await _answer_denied(update, turn)
        return
    await query.answer()
    practices = await active_practices(turn.session, wijk.id)
    buttons = [InlineKeyboardButton(p.name, callback_data=encode(Action.INVITE_PRACTICE, p.id)) for p in practices]
    await edit_if_changed(
        query,
        turn.t.gettext("Invitation, wijk {wijk}: for which practice?").format(wijk=escape(wijk.name)),
        InlineKeyboardMarkup([*_rows(buttons, 1), _back(turn.t)]),
    )


async def _choose_role(update: Update, turn: Turn, data: Callback) -> None:
    query = update.callback_query
    assert query is not None and turn.member is not None
    practice_id = data.int_arg(0)
    practice = await turn.session.get(Practice, practice_id) if practice_id else None
    if practice is None or not may_invite_to(turn.member, practice, turn.member.region_id):
        await _answer_denied(update, turn)
        return
    await query.answer()
    buttons = [
        InlineKeyboardButton(
            role_label(turn.t, role), callback_data=encode(Action.INVITE_ROLE, practice.id, role.value)
        )
        for role in PRACTICE_ROLES
    ]
    await edit_if_changed(
        query,
        turn.t.gettext("Invitation for {practice}: which role?").format(practice=escape(practice.name)),
        InlineKeyboardMarkup([*_rows(buttons), _back(turn.t)]),
    )


async def _make_link(update: Update, context: BotContext, turn: Turn, data: Callback) -> None:
    query = update.callback_query
    assert query is not None and turn.member is not None
    t, member = turn.t, turn.member
    practice_id = data.int_arg(0)
    role_code = data.args[1] if len(data.args) > 1 else ""
    role = next((r for r in INVITABLE_ROLES if r.value == role_code), None)
    practice = await turn.session.get(Practice, practice_id) if practice_id else None
    # The pool takes students only, practices take practice roles only; anything else is forged.
    consistent = (practice is None and practice_id == 0 and role is Role.MEDISCH_STUDENT) or (
        practice is not None and role in PRACTICE_ROLES
    )
    if role is None or not consistent or not may_invite_to(member, practice, member.region_id):
        await _answer_denied(update, turn)
        return
    await query.answer()
    invite = await create_invite(
        turn.session,
        now=turn.now,
        region=member.region,
        practice=practice,
        role=role,
        expires_days=turn.runtime.settings.invite_expires_days,
        created_by=member,
    )
    await turn.commit()
    target = (
        escape(practice.name)
        if practice
        else t.gettext("the student pool of {region}").format(region=escape(member.region.name))
    )
    text = "\n\n".join(
        [
            t.gettext("Invitation for <b>{target}</b> as <b>{role}</b>:").format(
                target=target, role=escape(role_label(t, role))
            ),
            escape(deep_link(context.bot.username, invite.code)),
            t.gettext("For one person; valid until {date}. Send it to them; they open it and press Start.").format(
                date=escape(t.format_moment(invite.expires_at))
            ),
        ]
    )
    await edit_if_changed(query, text)


def build() -> list[BaseHandler[Update, BotContext, None]]:
    """The handlers of this feature."""
    return [
        CommandHandler(["uitnodiging", "invite"], start_invite, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(
            invite_step,
            pattern=pattern(Action.INVITE_WIJK, Action.INVITE_PRACTICE, Action.INVITE_ROLE, Action.INVITE_BACK),
        ),
    ]
