"""`/bijeenkomst` steps: the place, the online link (a place, a link or both) and the agenda."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot.i18n import Translator
from bot.services.meetings import MeetingError
from handlers.context import BotContext, Turn, open_turn
from handlers.conversation import reply
from handlers.editing import remove_buttons
from handlers.meeting_form.base import keep, load, pressed, step_button, today
from handlers.meeting_form.choices import ask_audience
from handlers.meeting_form.draft import AGENDA, LINK, PLACE, MeetingDraft
from handlers.meeting_form.errors import error_text
from handlers.meeting_form.preview import next_or_change

# --- the place -----------------------------------------------------------------------------------------


async def ask_place(update: Update, t: Translator) -> int:
    markup = InlineKeyboardMarkup([[step_button(t.gettext("Online only"), "noplace")]])
    await reply(update, t.gettext("<b>Where?</b> Type the address, or tap Online only."), markup)
    return PLACE


async def type_place(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    async with open_turn(update, context) as turn:
        draft = load(context)
        try:
            draft.type_place(message.text, today(turn))
        except MeetingError as exc:
            await reply(update, error_text(turn.t, exc.code))
            return PLACE
        keep(context, draft)
        return await next_or_change(update, turn.t, draft, ask_link)


async def no_place(update: Update, context: BotContext, turn: Turn, draft: MeetingDraft, value: str) -> int:
    """Online only."""
    query = pressed(update)
    await query.answer()
    await remove_buttons(query)
    draft.skip_place()
    keep(context, draft)
    return await next_or_change(update, turn.t, draft, ask_link)


# --- the online link -----------------------------------------------------------------------------------


async def ask_link(update: Update, t: Translator) -> int:
    markup = InlineKeyboardMarkup([[step_button(t.gettext("No link"), "nolink")]])
    await reply(update, t.gettext("<b>Online link?</b> Type it (https://…) for an online or hybrid meeting."), markup)
    return LINK


async def type_link(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    async with open_turn(update, context) as turn:
        draft = load(context)
        try:
            draft.type_link(message.text)
        except MeetingError as exc:
            await reply(update, error_text(turn.t, exc.code))
            return LINK
        keep(context, draft)
        return await next_or_change(update, turn.t, draft, ask_agenda)


async def no_link(update: Update, context: BotContext, turn: Turn, draft: MeetingDraft, value: str) -> int:
    """No link: only when there is a place."""
    query = pressed(update)
    try:
        draft.skip_link()
    except MeetingError as exc:
        await query.answer(error_text(turn.t, exc.code), show_alert=True)
        return LINK
    await query.answer()
    await remove_buttons(query)
    keep(context, draft)
    return await next_or_change(update, turn.t, draft, ask_agenda)


# --- the agenda ----------------------------------------------------------------------------------------


async def ask_agenda(update: Update, t: Translator) -> int:
    markup = InlineKeyboardMarkup([[step_button(t.gettext("No agenda"), "noagenda")]])
    text = t.gettext("<b>Agenda?</b> Type it (at most 2000 characters, <b>no patient data</b>), or tap No agenda.")
    await reply(update, text, markup)
    return AGENDA


async def type_agenda(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    async with open_turn(update, context) as turn:
        draft = load(context)
        try:
            draft.type_agenda(message.text, today(turn))
        except MeetingError as exc:
            await reply(update, error_text(turn.t, exc.code))
            return AGENDA
        keep(context, draft)
        return await next_or_change(update, turn.t, draft, ask_audience)


async def no_agenda(update: Update, context: BotContext, turn: Turn, draft: MeetingDraft, value: str) -> int:
    query = pressed(update)
    await query.answer()
    await remove_buttons(query)
    draft.skip_agenda()
    keep(context, draft)
    return await next_or_change(update, turn.t, draft, ask_audience)
