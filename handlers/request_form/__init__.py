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
from telegram.ext import BaseHandler, MessageHandler, filters

from bot.i18n import N_
from bot.permissions import may_post_request, practice_to_post_for
from handlers.context import BotContext, open_turn
from handlers.conversation import TEXT, persistent_conversation, stay
from handlers.entry import Said, command
from handlers.request_form.base import END, NAME, keep, stop
from handlers.request_form.dayparts import choose_daypart, type_times
from handlers.request_form.draft import CONFIRM, DAYPARTS, DAYS, NOTE, ROLE, URGENCY, RequestDraft
from handlers.request_form.preview import confirm, start_adding_days
from handlers.request_form.role_days import ask_role, choose_role, toggle_day, type_days, type_role
from handlers.request_form.urgency_note import choose_urgency, skip_note, type_note


@command(
    "verzoek",
    "request",
    rule=may_post_request,
    refusal=N_("Only practice managers and GPs of a practice can post a request. /help shows what you can do."),
    otherwise=END,
)
async def start(said: Said) -> int:
    """Begin a request, for someone who may post for a practice."""
    practice = practice_to_post_for(said.actor)
    assert practice is not None, "may_post_request admits only who has a practice to post for"
    draft = RequestDraft.for_practice(practice.id, practice.name)
    keep(said.context, draft)
    return await ask_role(said.update, said.context, said.t, draft)


async def cancel(update: Update, context: BotContext) -> int:
    """/annuleer inside the conversation."""
    async with open_turn(update, context) as turn:
        return await stop(update, context, turn.t)


def build() -> list[BaseHandler[Update, BotContext, Any]]:
    """The conversation, persisted under the name `verzoek`."""
    conversation = persistent_conversation(
        name=NAME,
        entry_points=[start.handler(filters=filters.ChatType.PRIVATE), start_adding_days.handler()],
        states={
            ROLE: [choose_role.handler(), MessageHandler(TEXT, type_role)],
            DAYS: [toggle_day.handler(), MessageHandler(TEXT, type_days)],
            DAYPARTS: [choose_daypart.handler(), MessageHandler(TEXT, type_times)],
            URGENCY: [choose_urgency.handler(), stay()],
            NOTE: [skip_note.handler(), MessageHandler(TEXT, type_note)],
            CONFIRM: [confirm.handler(), stay()],
        },
        cancel=cancel,
    )
    return [conversation]
