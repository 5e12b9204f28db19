"""`/verzoek` steps 4 and 5: how urgent, and an optional note."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot.i18n import Translator
from bot.services.requests import RequestError
from db.models import Urgency
from handlers.context import BotContext, open_turn
from handlers.conversation import reply
from handlers.entry import Press
from handlers.form_errors import error_text
from handlers.request_form.base import (
    ask,
    ask_next,
    collapse,
    load,
    parse_step,
    question,
    step_button,
    step_press,
    wrong_button,
)
from handlers.request_form.draft import NOTE, URGENCY, RequestDraft

URGENCY_VALUES = {urgency.value for urgency in Urgency}

# --- step 4: urgency -----------------------------------------------------------------------------------


@question(URGENCY)
async def ask_urgency(update: Update, context: BotContext, t: Translator, draft: RequestDraft) -> int:
    """Spoed or normaal."""
    markup = InlineKeyboardMarkup(
        [[step_button(t.gettext("Urgent (spoed)"), "urg", "spoed"), step_button(t.gettext("Normal"), "urg", "normaal")]]
    )
    text = t.gettext(
        "<b>How urgent?</b> (4/5)\nUrgent is for today or tomorrow: people are told at once, also at night."
    )
    await ask(update, context, draft, text, markup)
    return URGENCY


@step_press
async def choose_urgency(press: Press[None]) -> int:
    """Store the urgency; spoed only for today or tomorrow."""
    query, t = press.query, press.t
    step, value, _day = parse_step(press.data)
    draft = load(press.context)
    if step != "urg" or value not in URGENCY_VALUES:
        return await wrong_button(query, t, URGENCY)
    try:
        draft.choose_urgency(Urgency(value), press.now.astimezone(t.zone).date())
    except RequestError as exc:
        await query.answer(error_text(t, exc.code), show_alert=True)
        return URGENCY
    await query.answer()
    label = t.gettext("Urgent (spoed)") if draft.urgency is Urgency.SPOED else t.gettext("Normal")
    await collapse(press.update, press.context, draft, t.gettext("How urgent: {urgency}").format(urgency=label), query)
    return await ask_next(press.update, press.context, t, draft)


# --- step 5: note ----------------------------------------------------------------------------------------


@question(NOTE)
async def ask_note(update: Update, context: BotContext, t: Translator, draft: RequestDraft) -> int:
    """An optional note, for logistics only."""
    markup = InlineKeyboardMarkup([[step_button(t.gettext("No note"), "nonote")]])
    text = t.gettext(
        "<b>A note?</b> (5/5)\nFor logistics only, at most 500 characters: where to report, who to ask for. "
        "<b>No patient data.</b> Type it, or tap No note."
    )
    await ask(update, context, draft, text, markup)
    return NOTE


async def type_note(update: Update, context: BotContext) -> int:
    """Check the note: length and anything that looks like patient data."""
    message = update.effective_message
    assert message is not None and message.text is not None
    async with open_turn(update, context) as turn:
        draft = load(context)
        try:
            draft.type_note(message.text, turn.now.astimezone(turn.t.zone).date())
        except RequestError as exc:
            await reply(update, error_text(turn.t, exc.code))
            return NOTE
        await collapse(update, context, draft, turn.t.gettext("Note: added."))
        return await ask_next(update, context, turn.t, draft)


@step_press
async def skip_note(press: Press[None]) -> int:
    """No note."""
    query = press.query
    if parse_step(press.data)[0] != "nonote":
        return await wrong_button(query, press.t, NOTE)
    await query.answer()
    draft = load(press.context)
    draft.skip_note()
    await collapse(press.update, press.context, draft, press.t.gettext("Note: none."), query)
    return await ask_next(press.update, press.context, press.t, draft)
