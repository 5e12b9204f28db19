"""`/uitnodiging`: a coordinator picks wijk, practice and role with buttons, and gets an invitation link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, filters

from bot.i18n import N_, Translator
from bot.permissions import is_coordinator, may_browse_wijk, may_invite_to
from bot.services.invites import create_invite
from bot.services.network import active_practices, active_wijken
from db.models import INVITABLE_ROLES, PRACTICE_ROLES, Member, Practice, Role, Wijk
from handlers.callback_data import Action, Callback, encode
from handlers.context import BotContext, Turn
from handlers.editing import edit_if_changed
from handlers.entry import Press, Said, command, press
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


DENIED = N_("You cannot do that (any more).")


@command("uitnodiging", "invite", rule=is_coordinator, refusal=N_("Only a regional coordinator can make invitations."))
async def start_invite(said: Said) -> None:
    """Begin: show the region's wijken and the student pool."""
    text, keyboard = await _wijk_menu(said.turn)
    await said.message.reply_text(text, reply_markup=keyboard)


# Every press in the invite menu is checked against the presser's rights again.


@press(Action.INVITE_BACK, rule=is_coordinator, refusal=DENIED)
async def back_to_wijken(press: Press[None]) -> None:
    """Back to the wijken."""
    await press.query.answer()
    text, keyboard = await _wijk_menu(press.turn)
    await edit_if_changed(press.query, escape(text), keyboard)


async def load_wijk(session: AsyncSession, data: Callback, member: Member | None) -> Wijk | None:
    """The wijk a press names."""
    wijk_id = data.int_arg(0)
    return await session.get(Wijk, wijk_id) if wijk_id else None


async def load_practice(session: AsyncSession, data: Callback, member: Member | None) -> Practice | None:
    """The practice a press names."""
    practice_id = data.int_arg(0)
    return await session.get(Practice, practice_id) if practice_id else None


@press(Action.INVITE_WIJK, rule=may_browse_wijk, subject=load_wijk, refusal=DENIED)
async def choose_practice(press: Press[Wijk]) -> None:
    """A wijk is chosen: its practices."""
    wijk = press.subject
    await press.query.answer()
    practices = await active_practices(press.session, wijk.id)
    buttons = [InlineKeyboardButton(p.name, callback_data=encode(Action.INVITE_PRACTICE, p.id)) for p in practices]
    await edit_if_changed(
        press.query,
        press.t.gettext("Invitation, wijk {wijk}: for which practice?").format(wijk=escape(wijk.name)),
        InlineKeyboardMarkup([*_rows(buttons, 1), _back(press.t)]),
    )


@press(Action.INVITE_PRACTICE, rule=may_invite_to, subject=load_practice, refusal=DENIED)
async def choose_role(press: Press[Practice]) -> None:
    """A practice is chosen: its roles."""
    practice = press.subject
    await press.query.answer()
    buttons = [
        InlineKeyboardButton(
            role_label(press.t, role), callback_data=encode(Action.INVITE_ROLE, practice.id, role.value)
        )
        for role in PRACTICE_ROLES
    ]
    await edit_if_changed(
        press.query,
        press.t.gettext("Invitation for {practice}: which role?").format(practice=escape(practice.name)),
        InlineKeyboardMarkup([*_rows(buttons), _back(press.t)]),
    )


@dataclass(frozen=True)
class Target:
    """What an invitation is for: a practice and one of its roles, or the student pool (practice None)."""

    practice: Practice | None
    role: Role


async def load_target(session: AsyncSession, data: Callback, member: Member | None) -> Target | None:
    """The practice (or the pool: id 0) and role a press names; None for anything inconsistent, i.e. forged."""
    practice_id = data.int_arg(0)
    role_code = data.args[1] if len(data.args) > 1 else ""
    role = next((r for r in INVITABLE_ROLES if r.value == role_code), None)
    practice = await session.get(Practice, practice_id) if practice_id else None
    # The pool takes students only, practices take practice roles only.
    if role is Role.MEDISCH_STUDENT and practice is None and practice_id == 0:
        return Target(None, role)
    if practice is not None and role in PRACTICE_ROLES:
        return Target(practice, role)
    return None


def may_invite_for(member: Member | None, target: Target) -> bool:
    """`may_invite_to` for the practice (or the pool) of a target."""
    return may_invite_to(member, target.practice)


@press(Action.INVITE_ROLE, checked_by=may_invite_to, subject=load_target, refusal=DENIED)
async def make_link(press: Press[Target]) -> None:
    """A role is chosen: make the invitation and show its link."""
    if not may_invite_for(press.member, press.subject):
        await press.refuse(DENIED)
        return
    await press.query.answer()
    member, target = press.actor, press.subject
    new = await create_invite(
        press.session,
        now=press.now,
        region=member.region,
        practice=target.practice,
        role=target.role,
        expires_days=press.turn.runtime.settings.invite_expires_days,
        created_by=member,
    )
    await press.turn.commit()
    await edit_if_changed(
        press.query,
        link_text(press.t, member, target, deep_link(press.context.bot.username, new.code), new.invite.expires_at),
    )


def link_text(t: Translator, member: Member, target: Target, link: str, expires_at: datetime) -> str:
    """The invitation link with what it is for and until when (HTML)."""
    where = (
        escape(target.practice.name)
        if target.practice
        else t.gettext("the student pool of {region}").format(region=escape(member.region.name))
    )
    return "\n\n".join(
        [
            t.gettext("Invitation for <b>{target}</b> as <b>{role}</b>:").format(
                target=where, role=escape(role_label(t, target.role))
            ),
            escape(link),
            t.gettext("For one person; valid until {date}. Send it to them; they open it and press Start.").format(
                date=escape(t.format_moment(expires_at))
            ),
        ]
    )


def build() -> list[BaseHandler[Update, BotContext, None]]:
    """The handlers of this feature."""
    return [
        start_invite.handler(filters=filters.ChatType.PRIVATE),
        back_to_wijken.handler(),
        choose_practice.handler(),
        choose_role.handler(),
        make_link.handler(),
    ]
