"""`/verzoek` steps 1 and 2: what is needed, and on which days."""

from __future__ import annotations

from datetime import date, timedelta
from html import escape

from babel.dates import format_date
from telegram import InlineKeyboardMarkup, Update

from bot.i18n import Translator
from bot.services.dates import DateInputError, example_date, next_working_days
from bot.services.requests import NeededRole
from handlers.context import BotContext, open_turn
from handlers.conversation import reply
from handlers.entry import Press
from handlers.form_errors import error_text
from handlers.request_form.base import (
    ask,
    ask_next,
    collapse,
    keep,
    load,
    parse_step,
    question,
    retire_prompt,
    step_button,
    step_press,
    today,
    wrong_button,
)
from handlers.request_form.dayparts import ask_daypart
from handlers.request_form.draft import DAYS, ROLE, ROLE_WORDS, RequestDraft
from handlers.request_views import NEEDED_LABELS

QUICK_WORKING_DAYS = 3
ROLE_VALUES = {role.value for role in NeededRole}

# --- step 1: what --------------------------------------------------------------------------------------


@question(ROLE)
async def ask_role(update: Update, context: BotContext, t: Translator, draft: RequestDraft) -> int:
    """Show the roles as buttons."""
    rows = [[step_button(t.gettext(NEEDED_LABELS[role]), "role", role.value)] for role in NeededRole]
    text = t.gettext("<b>New request</b> (1/5)\nWhat do you need?")
    await ask(update, context, draft, text, InlineKeyboardMarkup(rows))
    return ROLE


async def type_role(update: Update, context: BotContext) -> int:
    """A role typed instead of tapped ("assistent", "POH-S", "huisarts"); anything else: use the buttons."""
    message = update.effective_message
    assert message is not None and message.text is not None
    role = ROLE_WORDS.get(" ".join(message.text.lower().replace("’", "'").split())[:40])
    async with open_turn(update, context) as turn:
        t = turn.t
        if role is None:
            await reply(
                update, t.gettext("Please tap one of the roles above, or type it (such as assistent or POH-S).")
            )
            return ROLE
        draft = load(context)
        draft.role = role
        summary = t.gettext("What: {role}").format(role=escape(t.gettext(NEEDED_LABELS[role])))
        if not await collapse(update, context, draft, summary):
            await reply(update, summary)
        return await ask_next(update, context, t, draft)


@step_press
async def choose_role(press: Press[None]) -> int:
    """Store the role; go on to the days, or back to the preview when changing."""
    query, t, context = press.query, press.t, press.context
    step, value, _day = parse_step(press.data)
    if step != "role" or value not in ROLE_VALUES:
        return await wrong_button(query, t, ROLE)
    await query.answer()
    draft = load(context)
    draft.role = NeededRole(value)
    label = escape(t.gettext(NEEDED_LABELS[draft.role]))
    await collapse(press.update, context, draft, t.gettext("What: {role}").format(role=label), query)
    return await ask_next(press.update, context, t, draft)


# --- step 2: which days --------------------------------------------------------------------------------


def day_label(t: Translator, day: date) -> str:
    return format_date(day, "EEE d MMM", locale=t.language)


def days_markup(t: Translator, today: date, chosen: list[date]) -> InlineKeyboardMarkup:
    quick = [today, today + timedelta(days=1), *next_working_days(today + timedelta(days=1), QUICK_WORKING_DAYS)]
    rows = []
    for day in sorted({*quick, *chosen}):
        prefix = "✅ " if day in chosen else ""
        label = day_label(t, day)
        if day == today:
            label = t.gettext("Today ({day})").format(day=label)
        elif day == today + timedelta(days=1):
            label = t.gettext("Tomorrow ({day})").format(day=label)
        rows.append([step_button(prefix + label, "day", day.strftime("%Y%m%d"))])
    rows.append([step_button(t.gettext("Next ›"), "days_done")])
    return InlineKeyboardMarkup(rows)


@question(DAYS)
async def ask_days(update: Update, context: BotContext, t: Translator, draft: RequestDraft) -> int:
    """Quick buttons for the coming days; a typed date (or several) works too. Days that have passed since
    the draft was started (it is kept across restarts) are dropped."""
    now = today(context, t)
    draft.drop_past_days(now)
    keep(context, draft)
    example = example_date(now)
    text = t.gettext(
        "<b>Which days?</b> {step}\nTap the days, or type dates such as <code>{short}</code>, <code>{full}</code>, "
        "<code>{named}</code> or a weekday (several at once: separate with commas). Then tap Next."
    ).format(
        step=draft.counter(2),
        short=f"{example.day}-{example.month}",
        full=example.strftime("%d-%m-%Y"),
        named=format_date(example, "EEE d MMM", locale=t.language).replace(".", ""),
    )
    await ask(update, context, draft, text, days_markup(t, now, draft.days))
    return DAYS


def _button_day(value: str) -> date:
    """The day of a day button (yyyymmdd); ValueError for anything else."""
    if len(value) != 8 or not value.isdigit():
        raise ValueError(value)
    return date(int(value[:4]), int(value[4:6]), int(value[6:]))


@step_press
async def toggle_day(press: Press[None]) -> int:
    """Tap a day on or off; Next goes on to the day-parts."""
    query, t, context = press.query, press.t, press.context
    step, value, _day = parse_step(press.data)
    now, draft = press.now.astimezone(t.zone).date(), load(context)
    if step == "days_done":
        if not draft.days:
            await query.answer(t.gettext("Choose at least one day first."), show_alert=True)
            return DAYS
        await query.answer()
        await collapse(press.update, context, draft, days_summary(t, draft.days), query)
        draft.restart_dayparts()
        return await ask_daypart(press.update, context, t, draft)
    if step != "day" or len(value) != 8 or not value.isdigit():
        return await wrong_button(query, t, DAYS)
    try:
        draft.toggle_day(_button_day(value), now)
    except (ValueError, DateInputError):
        await query.answer(t.gettext("That day can no longer be chosen."), show_alert=True)
        return DAYS
    await query.answer()
    keep(context, draft)
    await query.edit_message_reply_markup(days_markup(t, now, draft.days))
    return DAYS


async def type_days(update: Update, context: BotContext) -> int:
    """Typed dates are read, checked and added; a wrong one is explained and nothing is added."""
    message = update.effective_message
    assert message is not None and message.text is not None
    async with open_turn(update, context) as turn:
        draft = load(context)
        t, now = turn.t, turn.now.astimezone(turn.t.zone).date()
        try:
            draft.add_typed_days(message.text[:200], now)
        except DateInputError as exc:
            await reply(update, error_text(t, exc.code, part=getattr(exc, "part", None)))
            return DAYS
        # One live day picker: the new one below, with the typed days ticked, replaces the one above.
        await retire_prompt(update, context, draft)
        return await ask_days(update, context, t, draft)


def days_summary(t: Translator, days: list[date]) -> str:
    """The days step, answered, in one line."""
    return t.gettext("Days: {days}").format(days=", ".join(escape(day_label(t, day)) for day in days))
