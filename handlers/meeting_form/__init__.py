"""`/bijeenkomst`: the guided conversation in which a coordinator (or a practice manager, where the region allows
it) plans a wijk meeting; and moving one date of a meeting, which reuses the date and time steps.

The steps, each question next to the handling of its answer: the wijken and the title (wijk_title.py), the day
and times (when.py), place, link and agenda (place.py), audience, repetition and reminders (choices.py), the
preview with plan or move (preview.py). The draft (draft.py) lives in user_data and the step in the persisted
conversation, so a restart loses nothing; each wrong input is explained and keeps the step; who may plan is
checked again when the meeting is saved.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.permissions import may_manage_meeting as may_manage
from bot.services.meetings import load_occurrence, schedulable_wijk_ids
from handlers.callback_data import Action, decode, pattern
from handlers.context import BotContext, open_turn
from handlers.conversation import TEXT, persistent_conversation, reply, stay
from handlers.meeting_form import choices, place, preview
from handlers.meeting_form.base import END, NAME, Answer, keep, load, parse_step, pressed, stop, wrong_button
from handlers.meeting_form.draft import (
    AGENDA,
    AUDIENCE,
    CONFIRM,
    DATE,
    LINK,
    PLACE,
    REMIND,
    REPEAT,
    TIME,
    TITLE,
    WIJK,
    MeetingDraft,
)
from handlers.meeting_form.errors import error_text
from handlers.meeting_form.when import ask_date, type_date, type_time
from handlers.meeting_form.wijk_title import ask_title, ask_wijk, choose_wijk, plannable_wijken, type_title


async def start(update: Update, context: BotContext) -> int:
    """Begin a meeting, for someone who may plan one."""
    async with open_turn(update, context) as turn:
        wijken = await plannable_wijken(turn)
        if not wijken:
            await reply(update, turn.t.gettext("Only the regional coordinator can plan wijk meetings."))
            return END
        draft = MeetingDraft()
        if len(wijken) == 1 and schedulable_wijk_ids(turn.member) is not None:
            draft.wijk_ids, draft.wijk_names = [wijken[0].id], wijken[0].name
            keep(context, draft)
            return await ask_title(update, turn.t)
        keep(context, draft)
        return await ask_wijk(update, turn.t, wijken, [])


async def start_move(update: Update, context: BotContext) -> int:
    """From a meeting card: move this date."""
    query = pressed(update)
    data = decode(query.data)
    async with open_turn(update, context) as turn:
        occurrence = await load_occurrence(turn.session, data.int_arg(0) if data else None)
        if occurrence is None or not may_manage(turn.member, occurrence.meeting):
            await query.answer(error_text(turn.t, "not_allowed"), show_alert=True)
            return END
        if occurrence.status != "scheduled" or occurrence.ends_at <= turn.now:
            await query.answer(error_text(turn.t, "not_scheduled"), show_alert=True)
            return END
        await query.answer()
        keep(context, MeetingDraft.moving_date(occurrence.id, occurrence.meeting.title))
        return await ask_date(update, turn.t)


# The step buttons after the wijk, by the step the draft is at (buttons are tracked per chat, not per message:
# a button of an earlier prompt belongs to another step).
BUTTONS: dict[int, dict[str, Answer]] = {
    PLACE: {"noplace": place.no_place},
    LINK: {"nolink": place.no_link},
    AGENDA: {"noagenda": place.no_agenda},
    AUDIENCE: {"aud": choices.choose_audience},
    REPEAT: {"rep": choices.choose_repeat},
    REMIND: {"rem": choices.choose_reminders},
    CONFIRM: {"send": preview.send, "move": preview.move, "abort": preview.abort},
}


async def press(update: Update, context: BotContext) -> int:
    """Every step button after the wijk: skip place, link or agenda, audience, repeat, reminders, confirm."""
    query = pressed(update)
    step, value = parse_step(query.data)
    async with open_turn(update, context) as turn:
        draft = load(context)
        state = draft.next_step()
        answer = BUTTONS.get(state, {}).get(step)
        if answer is None:
            return await wrong_button(query, turn.t, state)
        return await answer(update, context, turn, draft, value)


async def cancel(update: Update, context: BotContext) -> int:
    """/annuleer inside the conversation."""
    async with open_turn(update, context) as turn:
        return await stop(update, context, turn.t)


def build() -> list[BaseHandler[Update, BotContext, Any]]:
    """The conversation, persisted under the name `bijeenkomst`."""
    buttons: BaseHandler[Update, BotContext, Any] = CallbackQueryHandler(press, pattern=pattern(Action.MEETING_STEP))
    conversation = persistent_conversation(
        name=NAME,
        entry_points=[
            CommandHandler(["bijeenkomst", "meeting"], start, filters=filters.ChatType.PRIVATE),
            CallbackQueryHandler(start_move, pattern=pattern(Action.MEETING_MOVE)),
        ],
        states={
            WIJK: [CallbackQueryHandler(choose_wijk, pattern=pattern(Action.MEETING_STEP)), stay()],
            TITLE: [MessageHandler(TEXT, type_title)],
            DATE: [MessageHandler(TEXT, type_date)],
            TIME: [MessageHandler(TEXT, type_time)],
            PLACE: [buttons, MessageHandler(TEXT, place.type_place)],
            LINK: [buttons, MessageHandler(TEXT, place.type_link)],
            AGENDA: [buttons, MessageHandler(TEXT, place.type_agenda)],
            AUDIENCE: [buttons, stay()],
            REPEAT: [buttons, stay()],
            REMIND: [buttons, MessageHandler(TEXT, choices.type_reminders)],
            CONFIRM: [buttons, stay()],
        },
        cancel=cancel,
    )
    return [conversation]
