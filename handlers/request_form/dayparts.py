"""`/verzoek` step 3: the day-parts (or exact times) of each chosen day, one day at a time."""

from __future__ import annotations

from datetime import date
from html import escape

from babel.dates import format_date
from telegram import InlineKeyboardMarkup, Update

from bot.i18n import Translator
from bot.services.dates import DateInputError
from db.models import Daypart
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
    step_button,
    step_press,
    wrong_button,
)
from handlers.request_form.draft import DAYPART_CHOICES, DAYPART_WORDS, DAYPARTS, RequestDraft
from handlers.request_views import DAYPART_LABELS


@question(DAYPARTS)
async def ask_daypart(update: Update, context: BotContext, t: Translator, draft: RequestDraft) -> int:
    """Ask for the first day without a day-part yet; when none is left, go on (urgency, or the preview)."""
    day = draft.next_day()
    if day is None:
        return await ask_next(update, context, t, draft)
    keep(context, draft)
    label = format_date(day, "EEEE d MMMM", locale=t.language)
    compact = day.strftime("%Y%m%d")
    markup = InlineKeyboardMarkup(
        [
            [
                step_button(t.gettext(DAYPART_LABELS[Daypart.OCHTEND]).capitalize(), "dp", "ochtend", compact),
                step_button(t.gettext(DAYPART_LABELS[Daypart.MIDDAG]).capitalize(), "dp", "middag", compact),
            ],
            [step_button(t.gettext("Whole day"), "dp", "both", compact)],
        ]
    )
    text = t.gettext(
        "<b>{day}</b> {step}\nMorning (08:00–12:30), afternoon (13:00–17:30), the whole day, or type exact times "
        "such as <code>08:00-12:30</code>."
    ).format(day=escape(label), step=draft.counter(3))
    await ask(update, context, draft, text, markup)
    return DAYPARTS


@step_press
async def choose_daypart(press: Press[None]) -> int:
    """A day-part button for the day being asked about."""
    query = press.query
    step, value, for_day = parse_step(press.data)
    draft = load(press.context)
    day = draft.next_day()
    if step != "dp" or value not in DAYPART_CHOICES or day is None or for_day != day.strftime("%Y%m%d"):
        return await wrong_button(query, press.t, DAYPARTS)
    await query.answer()
    draft.choose_daypart(value)
    await collapse(press.update, press.context, draft, daypart_summary(press.t, draft, day), query)
    return await ask_daypart(press.update, press.context, press.t, draft)


async def type_times(update: Update, context: BotContext) -> int:
    """Exact times for the day being asked about."""
    message = update.effective_message
    assert message is not None and message.text is not None
    async with open_turn(update, context) as turn:
        draft = load(context)
        if draft.next_day() is None:
            return await ask_next(update, context, turn.t, draft)
        word = DAYPART_WORDS.get(" ".join(message.text.lower().replace("’", "'").split())[:40])
        try:
            if word is not None:  # "ochtend", "middag", "hele dag" typed instead of tapped
                draft.choose_daypart(word)
            else:
                draft.type_times(message.text[:100])
        except DateInputError as exc:
            await reply(update, error_text(turn.t, exc.code))
            return DAYPARTS
        await collapse(update, context, draft, daypart_summary(turn.t, draft, draft.slots[-1].day))
        return await ask_daypart(update, context, turn.t, draft)


def daypart_summary(t: Translator, draft: RequestDraft, day: date) -> str:
    """A day's day-parts, answered, in one line: "dinsdag 24 november: ochtend, middag"."""
    parts = [
        t.gettext(DAYPART_LABELS[slot.daypart])
        if slot.daypart in DAYPART_LABELS
        else f"{slot.start:%H:%M}–{slot.end:%H:%M}"
        for slot in draft.slots
        if slot.day == day
    ]
    label = format_date(day, "EEEE d MMMM", locale=t.language)
    return t.gettext("{day}: {parts}").format(day=escape(label), parts=escape(", ".join(parts)))
