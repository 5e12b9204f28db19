"""`/verzoek`: the guided conversation in which a practice posts a shortage request.

Steps: what is needed, which days (role_days.py), the day-parts or times per day (dayparts.py), urgency and an
optional note (urgency_note.py), then a preview to send or change (preview.py, which also adds days to a
running request). Each step's question sits next to the handling of its answer. The draft (draft.py) lives in
user_data and the step in the persisted conversation, so a restart in the middle loses nothing. Each wrong
input gets a translated explanation and keeps the step.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.permissions import practice_to_post_for
from handlers.callback_data import Action, pattern
from handlers.context import BotContext, open_turn
from handlers.conversation import TEXT, persistent_conversation, reply, stay
from handlers.request_form.base import END, NAME, keep, stop
from handlers.request_form.dayparts import choose_daypart, type_times
from handlers.request_form.draft import CONFIRM, DAYPARTS, DAYS, NOTE, ROLE, URGENCY, RequestDraft
from handlers.request_form.preview import confirm, start_adding_days
from handlers.request_form.role_days import ask_role, choose_role, toggle_day, type_days
from handlers.request_form.urgency_note import choose_urgency, skip_note, type_note


async def start(update: Update, context: BotContext) -> int:
    """Begin a request, for someone who may post for a practice."""
    async with open_turn(update, context) as turn:
        practice = practice_to_post_for(turn.member)
        if practice is None:
            await reply(
                update,
                turn.t.gettext(
                    "Only practice managers and GPs of a practice can post a request. /help shows what you can do."
                ),
            )
            return END
        draft = RequestDraft.for_practice(practice.id, practice.name)
        keep(context, draft)
        return await ask_role(update, context, turn.t, draft)


async def cancel(update: Update, context: BotContext) -> int:
    """/annuleer inside the conversation."""
    async with open_turn(update, context) as turn:
        return await stop(update, context, turn.t)


def build() -> list[BaseHandler[Update, BotContext, Any]]:
    """The conversation, persisted under the name `verzoek`."""
    step = pattern(Action.REQUEST_STEP)
    conversation = persistent_conversation(
        name=NAME,
        entry_points=[
            CommandHandler(["verzoek", "request"], start, filters=filters.ChatType.PRIVATE),
            CallbackQueryHandler(start_adding_days, pattern=pattern(Action.ADD_DAYS)),
        ],
        states={
            ROLE: [CallbackQueryHandler(choose_role, pattern=step), stay()],
            DAYS: [CallbackQueryHandler(toggle_day, pattern=step), MessageHandler(TEXT, type_days)],
            DAYPARTS: [CallbackQueryHandler(choose_daypart, pattern=step), MessageHandler(TEXT, type_times)],
            URGENCY: [CallbackQueryHandler(choose_urgency, pattern=step), stay()],
            NOTE: [CallbackQueryHandler(skip_note, pattern=step), MessageHandler(TEXT, type_note)],
            CONFIRM: [CallbackQueryHandler(confirm, pattern=step), stay()],
        },
        cancel=cancel,
    )
    return [conversation]
