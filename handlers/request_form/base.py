"""What the steps of `/verzoek` share: the draft in user_data, the step buttons, and asking the next step."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ConversationHandler

from bot.i18n import N_, Translator
from bot.permissions import may_post_request
from handlers.callback_data import Action, Callback, encode
from handlers.context import BotContext
from handlers.conversation import reply
from handlers.editing import edit_if_changed
from handlers.entry import press
from handlers.request_form.draft import RequestDraft

NAME = "verzoek"  # the persisted conversation's name
DRAFT = "request_draft"  # the draft's key in user_data
END = ConversationHandler.END
OTHER_STEP = N_("This button belongs to another step.")

Question = Callable[[Update, BotContext, Translator, RequestDraft], Awaitable[int]]
_QUESTIONS: dict[int, Question] = {}


def load(context: BotContext) -> RequestDraft:
    """The draft kept in user_data (an empty one if there is none)."""
    assert context.user_data is not None
    return RequestDraft.from_dict(context.user_data.get(DRAFT))


def keep(context: BotContext, draft: RequestDraft) -> None:
    """Store the draft in user_data, as plain JSON, so that it is persisted with the conversation's step."""
    assert context.user_data is not None
    context.user_data[DRAFT] = draft.to_dict()


def today(context: BotContext, t: Translator) -> date:
    return context.runtime.clock.now().astimezone(t.zone).date()


def parse_step(data: Callback) -> tuple[str, str, str]:
    """A step button's (step, value, the day it belongs to); empty strings for anything else."""
    if data.action is not Action.REQUEST_STEP or not data.args:
        return "", "", ""
    padded = [*data.args, "", ""]
    return padded[0], padded[1], padded[2]


# How every step button comes in (handlers/entry.py). The table's rule, may_post_request, is not the wrapper's
# to check: a step only reaches its handler inside a form that /verzoek (may_post_request) or ADD_DAYS
# (may_act_for_request, a coordinator too) opened, and the last step checks again what it does (Send:
# practice_to_post_for; Add: may_act_for_request). Checked here, a coordinator adding days would be stopped
# half-way. Data that does not parse is a button of another step, and the step stays (None keeps the state).
step_press = press(Action.REQUEST_STEP, checked_by=may_post_request, gone=OTHER_STEP, alert=False)


def step_button(label: str, step: str, value: str = "", day: str = "") -> InlineKeyboardButton:
    """A button of the form; day-part buttons carry their day, so a press on an old prompt is recognised."""
    args = [arg for arg in (step, value, day) if arg]
    return InlineKeyboardButton(label, callback_data=encode(Action.REQUEST_STEP, *args))


async def wrong_button(query: CallbackQuery, t: Translator, state: int) -> int:
    """A button of another step (or of an older prompt): say so and stay."""
    await query.answer(t.gettext(OTHER_STEP))
    return state


async def ask(
    update: Update, context: BotContext, draft: RequestDraft, text: str, markup: InlineKeyboardMarkup
) -> None:
    """Send a step's question and remember it, so that its buttons can be collapsed (or, for the days, updated)
    however the step is answered; the draft is kept."""
    sent = await reply(update, text, markup)
    draft.prompt_message_id = sent.message_id
    keep(context, draft)


async def collapse(
    update: Update,
    context: BotContext,
    draft: RequestDraft,
    summary: str,
    query: CallbackQuery | None = None,
) -> bool:
    """The answered step's question becomes a one-line summary of the answer, without buttons: the pressed
    message, or the remembered question when the answer was typed. A question that is gone (deleted, too old
    to edit) is left as it is."""
    if query is not None:
        draft.prompt_message_id = None
        await edit_if_changed(query, summary)
        return True
    message_id, chat = draft.prompt_message_id, update.effective_chat
    draft.prompt_message_id = None
    if message_id is None or chat is None:
        return False
    try:
        await context.bot.edit_message_text(summary, chat_id=chat.id, message_id=message_id, parse_mode=ParseMode.HTML)
    except BadRequest:
        return False  # no longer editable (deleted, too old): nothing to collapse
    return True


async def retire_prompt(update: Update, context: BotContext, draft: RequestDraft) -> None:
    """The remembered question is asked again below (typed days tick their buttons in a fresh day picker): the
    one above goes, so that only one has live buttons; if it cannot be deleted, it loses its buttons."""
    message_id, chat = draft.prompt_message_id, update.effective_chat
    draft.prompt_message_id = None
    if message_id is None or chat is None:
        return
    try:
        await context.bot.delete_message(chat_id=chat.id, message_id=message_id)
    except BadRequest:
        try:
            await context.bot.edit_message_reply_markup(chat_id=chat.id, message_id=message_id, reply_markup=None)
        except BadRequest:
            return  # gone already


def question(step: int) -> Callable[[Question], Question]:
    """Register the function that asks `step`, for `ask_next`."""

    def register(ask: Question) -> Question:
        _QUESTIONS[step] = ask
        return ask

    return register


async def ask_next(update: Update, context: BotContext, t: Translator, draft: RequestDraft) -> int:
    """Keep the draft and ask the first step it still lacks (the preview when it lacks nothing). PTB saves the
    step and the draft in two writes, so after a crash the form can be a step ahead of its draft: this asks
    that step again rather than trusting the conversation's state."""
    keep(context, draft)
    return await _QUESTIONS[draft.next_step()](update, context, t, draft)


async def stop(update: Update, context: BotContext, t: Translator, *, quiet: bool = False) -> int:
    """End the form and drop its draft."""
    if context.user_data is not None:
        context.user_data.pop(DRAFT, None)
    if not quiet:
        await reply(update, t.gettext("Request cancelled; nothing was sent."))
    return END
