"""What the steps of `/verzoek` share: the draft in user_data, the step buttons, and asking the next step."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

from telegram import CallbackQuery, InlineKeyboardButton, Update
from telegram.ext import ConversationHandler

from bot.i18n import Translator
from handlers.callback_data import Action, decode, encode
from handlers.context import BotContext
from handlers.conversation import reply
from handlers.request_form.draft import RequestDraft

NAME = "verzoek"  # the persisted conversation's name
DRAFT = "request_draft"  # the draft's key in user_data
END = ConversationHandler.END

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


def parse_step(data: str | None) -> tuple[str, str, str]:
    """A step button's (step, value, the day it belongs to); empty strings for anything else."""
    parsed = decode(data)
    if parsed is None or parsed.action is not Action.REQUEST_STEP or not parsed.args:
        return "", "", ""
    padded = [*parsed.args, "", ""]
    return padded[0], padded[1], padded[2]


def step_button(label: str, step: str, value: str = "", day: str = "") -> InlineKeyboardButton:
    """A button of the form; day-part buttons carry their day, so a press on an old prompt is recognised."""
    args = [arg for arg in (step, value, day) if arg]
    return InlineKeyboardButton(label, callback_data=encode(Action.REQUEST_STEP, *args))


async def wrong_button(query: CallbackQuery, t: Translator, state: int) -> int:
    """A button of another step (or of an older prompt): say so and stay."""
    await query.answer(t.gettext("This button belongs to another step."))
    return state


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
