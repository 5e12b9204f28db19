"""What the steps of `/bijeenkomst` share: the draft in user_data, the step buttons, and stopping."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

from telegram import CallbackQuery, InlineKeyboardButton, Update
from telegram.ext import ConversationHandler

from bot.i18n import N_, Translator
from bot.services.meetings import schedulable_wijk_ids
from handlers.callback_data import Action, Callback, encode
from handlers.context import BotContext, Turn
from handlers.conversation import reply
from handlers.entry import press
from handlers.meeting_form.draft import MeetingDraft

NAME = "bijeenkomst"  # the persisted conversation's name
DRAFT = "meeting_draft"  # the draft's key in user_data
END = ConversationHandler.END
OTHER_STEP = N_("This button belongs to another step.")

# A step button's handler: (update, context, turn, the draft, the button's value) -> the next state.
Answer = Callable[[Update, BotContext, Turn, MeetingDraft, str], Awaitable[int]]


def load(context: BotContext) -> MeetingDraft:
    """The draft kept in user_data (an empty one if there is none)."""
    assert context.user_data is not None
    return MeetingDraft.from_dict(context.user_data.get(DRAFT))


def keep(context: BotContext, draft: MeetingDraft) -> None:
    """Store the draft in user_data, as plain JSON, so that it is persisted with the conversation's step."""
    assert context.user_data is not None
    context.user_data[DRAFT] = draft.to_dict()


def today(turn: Turn) -> date:
    return turn.now.astimezone(turn.t.zone).date()


def parse_step(data: Callback) -> tuple[str, str]:
    """A step button's (step, value); empty strings for anything else."""
    if data.action is not Action.MEETING_STEP or not data.args:
        return "", ""
    return data.args[0], data.args[1] if len(data.args) > 1 else ""


# How every step button comes in (handlers/entry.py). The table's rule, schedulable_wijk_ids, is the steps' own
# check, not the wrapper's: a step only reaches its handler inside a form that /bijeenkomst (may_schedule) or
# MEETING_MOVE (may_manage_meeting, an organiser too) opened; the wijk step offers and takes only the wijken
# schedulable_wijk_ids allows, Plan checks them again and Move checks may_manage_meeting. Checked here, an
# organiser moving a date would be stopped half-way once the region no longer lets managers plan. Data that
# does not parse is a button of another step, and the step stays (None keeps the state).
step_press = press(Action.MEETING_STEP, checked_by=schedulable_wijk_ids, gone=OTHER_STEP, alert=False)


def step_button(label: str, step: str, value: str = "") -> InlineKeyboardButton:
    """A button of the meeting form."""
    return InlineKeyboardButton(label, callback_data=encode(Action.MEETING_STEP, *[a for a in (step, value) if a]))


def pressed(update: Update) -> CallbackQuery:
    query = update.callback_query
    assert query is not None
    return query


async def wrong_button(query: CallbackQuery, t: Translator, state: int) -> int:
    """A button of another step (buttons are tracked per chat, not per message): say so and stay."""
    await query.answer(t.gettext(OTHER_STEP))
    return state


async def stop(update: Update, context: BotContext, t: Translator, *, quiet: bool = False) -> int:
    """End the form and drop its draft."""
    if context.user_data is not None:
        context.user_data.pop(DRAFT, None)
    if not quiet:
        await reply(update, t.gettext("Stopped; nothing was planned or changed."))
    return END
