"""`/bijeenkomst` steps: the day and the times; moving a date asks these two again."""

from __future__ import annotations

from telegram import Update

from bot.i18n import Translator
from bot.services.dates import DateInputError
from bot.services.meetings import MeetingError
from handlers.context import BotContext, open_turn
from handlers.conversation import reply
from handlers.meeting_form.base import keep, load, today
from handlers.meeting_form.draft import DATE, TIME
from handlers.meeting_form.errors import error_text
from handlers.meeting_form.place import ask_place
from handlers.meeting_form.preview import show_move_preview

# --- the day -------------------------------------------------------------------------------------------


async def ask_date(update: Update, t: Translator) -> int:
    await reply(update, t.gettext("<b>Which day?</b> Type the date, like <code>24-3</code> or <code>di 24 mrt</code>."))
    return DATE


async def type_date(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    async with open_turn(update, context) as turn:
        draft = load(context)
        try:
            draft.type_date(message.text[:100], today(turn))
        except DateInputError as exc:
            await reply(update, error_text(turn.t, exc.code))
            return DATE
        keep(context, draft)
        return await ask_time(update, turn.t)


# --- the times -----------------------------------------------------------------------------------------


async def ask_time(update: Update, t: Translator) -> int:
    await reply(update, t.gettext("<b>From when to when?</b> Type the times, like <code>19:00-21:00</code>."))
    return TIME


async def type_time(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    async with open_turn(update, context) as turn:
        t, draft = turn.t, load(context)
        try:
            draft.type_times(message.text[:100], turn.now, t.zone)
        except (DateInputError, MeetingError) as exc:
            await reply(update, error_text(t, exc.code))
            return TIME
        keep(context, draft)
        if draft.moving is not None:
            return await show_move_preview(update, t, draft)
        return await ask_place(update, t)
