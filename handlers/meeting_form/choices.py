"""`/bijeenkomst` steps: who is invited, whether it repeats, and the reminders."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot.i18n import Translator
from bot.services.meeting_times import DEFAULT_REMINDERS, TimeInputError
from db.meetings import Audience
from handlers.context import BotContext, Turn, open_turn
from handlers.conversation import reply
from handlers.editing import remove_buttons
from handlers.meeting_form.base import keep, load, pressed, step_button, wrong_button
from handlers.meeting_form.draft import AUDIENCE, REMIND, REMINDER_CHOICES, REPEAT, REPEATS, MeetingDraft
from handlers.meeting_form.errors import error_text
from handlers.meeting_form.preview import reminders_label, show_change_preview, show_preview
from handlers.meeting_views import AUDIENCE_LABELS, repeat_label

AUDIENCE_VALUES = {audience.value for audience in Audience}

# --- who is invited ------------------------------------------------------------------------------------


async def ask_audience(update: Update, t: Translator) -> int:
    rows = [[step_button(t.gettext(label), "aud", audience.value)] for audience, label in AUDIENCE_LABELS.items()]
    await reply(update, t.gettext("<b>Who is invited?</b>"), InlineKeyboardMarkup(rows))
    return AUDIENCE


async def choose_audience(update: Update, context: BotContext, turn: Turn, draft: MeetingDraft, value: str) -> int:
    query = pressed(update)
    if value not in AUDIENCE_VALUES:
        return await wrong_button(query, turn.t, AUDIENCE)
    await query.answer()
    await remove_buttons(query)
    draft.audience = Audience(value)
    keep(context, draft)
    if draft.editing is not None:
        return await show_change_preview(update, turn.t, draft)
    return await ask_repeat(update, turn.t, draft)


# --- does it repeat --------------------------------------------------------------------------------------


async def ask_repeat(update: Update, t: Translator, draft: MeetingDraft) -> int:
    assert draft.day is not None
    rows = [[step_button(repeat_label(t, value, draft.day), "rep", value)] for value in REPEATS]
    await reply(update, t.gettext("<b>Does it repeat?</b>"), InlineKeyboardMarkup(rows))
    return REPEAT


async def choose_repeat(update: Update, context: BotContext, turn: Turn, draft: MeetingDraft, value: str) -> int:
    query = pressed(update)
    if value not in REPEATS:
        return await wrong_button(query, turn.t, REPEAT)
    await query.answer()
    await remove_buttons(query)
    draft.repeat = value
    keep(context, draft)
    return await ask_reminders(update, turn.t)


# --- reminders -------------------------------------------------------------------------------------------


async def ask_reminders(update: Update, t: Translator) -> int:
    markup = InlineKeyboardMarkup(
        [
            [step_button(reminders_label(t, list(DEFAULT_REMINDERS)), "rem", "default")],
            [step_button(t.gettext("No reminders"), "rem", "none")],
        ]
    )
    text = t.gettext("<b>Reminders?</b> Tap one, or type your own like <code>3d 1d 1h</code> (d, h, m before).")
    await reply(update, text, markup)
    return REMIND


async def choose_reminders(update: Update, context: BotContext, turn: Turn, draft: MeetingDraft, value: str) -> int:
    query = pressed(update)
    if value not in REMINDER_CHOICES:
        return await wrong_button(query, turn.t, REMIND)
    await query.answer()
    await remove_buttons(query)
    draft.choose_reminders(value)
    keep(context, draft)
    return await show_preview(update, turn.t, draft)


async def type_reminders(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    async with open_turn(update, context) as turn:
        draft = load(context)
        try:
            draft.type_reminders(message.text[:100])
        except TimeInputError as exc:
            await reply(update, error_text(turn.t, exc.code))
            return REMIND
        keep(context, draft)
        return await show_preview(update, turn.t, draft)
