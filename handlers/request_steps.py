"""The prompts of `/verzoek` and what its steps share: the draft, the step buttons, the preview.

The answers to these prompts are in handlers/request_form.py.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from html import escape
from typing import Any, cast

from babel.dates import format_date
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.ext import ConversationHandler

from bot.i18n import Translator
from bot.services.dates import next_working_days
from bot.services.requests import NeededRole, SlotInput
from db.models import Daypart, Urgency
from handlers.callback_data import Action, decode, encode
from handlers.context import BotContext
from handlers.request_views import DAYPART_LABELS, NEEDED_LABELS

ROLE, DAYS, DAYPARTS, URGENCY, NOTE, CONFIRM = range(6)
END = ConversationHandler.END
DRAFT = "request_draft"
QUICK_WORKING_DAYS = 3


def draft(context: BotContext) -> dict[str, Any]:
    """The draft in user_data (plain JSON, so it can be persisted)."""
    assert context.user_data is not None
    d = cast(dict[str, Any], context.user_data.setdefault(DRAFT, {}))
    # PTB saves the step and user_data in two writes: after a crash between them the draft can lag a step.
    d.setdefault("days", [])
    d.setdefault("slots", [])
    return d


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


def day_label(t: Translator, day: date) -> str:
    return format_date(day, "EEE d MMM", locale=t.language)


def is_complete(d: dict[str, Any]) -> bool:
    return bool(d.get("role") and d.get("slots") and d.get("urgency") and "note" in d)


async def reply(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> Message:
    """Answer in the chat the update came from."""
    message = update.effective_message
    assert message is not None
    return await message.reply_text(text, reply_markup=markup, parse_mode=ParseMode.HTML)


async def ask_role(update: Update, t: Translator) -> int:
    """Show the roles as buttons."""
    rows = [[step_button(t.gettext(NEEDED_LABELS[role]), "role", role.value)] for role in NeededRole]
    await reply(update, t.gettext("<b>New request</b> (1/5)\nWhat do you need?"), InlineKeyboardMarkup(rows))
    return ROLE


def days_markup(t: Translator, today: date, chosen: list[str]) -> InlineKeyboardMarkup:
    quick = [today, today + timedelta(days=1), *next_working_days(today + timedelta(days=1), QUICK_WORKING_DAYS)]
    days = sorted({*quick, *(date.fromisoformat(d) for d in chosen)})
    rows = []
    for day in days:
        prefix = "✅ " if day.isoformat() in chosen else ""
        label = day_label(t, day)
        if day == today:
            label = t.gettext("Today ({day})").format(day=label)
        elif day == today + timedelta(days=1):
            label = t.gettext("Tomorrow ({day})").format(day=label)
        rows.append([step_button(prefix + label, "day", day.strftime("%Y%m%d"))])
    rows.append([step_button(t.gettext("Next ›"), "days_done")])
    return InlineKeyboardMarkup(rows)


async def ask_days(update: Update, context: BotContext, t: Translator, today: date) -> int:
    """Quick buttons for the coming days; a typed date (or several) works too. Days that have passed since
    the draft was started (it is kept across restarts) are dropped."""
    d = draft(context)
    d["days"] = [day for day in d["days"] if date.fromisoformat(day) >= today]
    text = t.gettext(
        "<b>Which days?</b> (2/5)\nTap the days, or type dates such as <code>3-12</code>, <code>03-12-2026</code> "
        "or <code>di 3 dec</code> (several at once: separate with commas). Then tap Next."
    )
    await reply(update, text, days_markup(t, today, draft(context)["days"]))
    return DAYS


def next_day(d: dict[str, Any]) -> str | None:
    done = {slot["day"] for slot in d["slots"]}
    return next((day for day in d["days"] if day not in done), None)


async def ask_daypart(update: Update, context: BotContext, t: Translator) -> int:
    """Ask for the first day without a day-part yet; when none is left, go on to urgency."""
    d = draft(context)
    day = next_day(d)
    if day is None:
        return await after_slots(update, context, t)
    label = format_date(date.fromisoformat(day), "EEEE d MMMM", locale=t.language)
    compact = day.replace("-", "")
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
        "<b>{day}</b> (3/5)\nMorning (08:00–12:30), afternoon (13:00–17:30), the whole day, or type exact times "
        "such as <code>08:00-12:30</code>."
    ).format(day=escape(label))
    await reply(update, text, markup)
    return DAYPARTS


async def after_slots(update: Update, context: BotContext, t: Translator) -> int:
    """All days have their day-parts: urgency next, or the preview when changing or adding days."""
    d = draft(context)
    if d.get("adding_to"):
        return await show_add_preview(update, context, t)
    if is_complete(d):
        return await show_preview(update, context, t)
    return await ask_urgency(update, t)


async def ask_urgency(update: Update, t: Translator) -> int:
    """Spoed or normaal."""
    markup = InlineKeyboardMarkup(
        [[step_button(t.gettext("Urgent (spoed)"), "urg", "spoed"), step_button(t.gettext("Normal"), "urg", "normaal")]]
    )
    await reply(
        update,
        t.gettext("<b>How urgent?</b> (4/5)\nUrgent is for today or tomorrow: people are told at once, also at night."),
        markup,
    )
    return URGENCY


async def ask_note(update: Update, t: Translator) -> int:
    """An optional note, for logistics only."""
    markup = InlineKeyboardMarkup([[step_button(t.gettext("No note"), "nonote")]])
    await reply(
        update,
        t.gettext(
            "<b>A note?</b> (5/5)\nFor logistics only, at most 500 characters: where to report, who to ask for. "
            "<b>No patient data.</b> Type it, or tap No note."
        ),
        markup,
    )
    return NOTE


def slots_of(d: dict[str, Any]) -> list[SlotInput]:
    """The draft's slots as service input."""
    return [
        SlotInput(
            date.fromisoformat(s["day"]),
            Daypart(s["daypart"]),
            time.fromisoformat(s["start"]),
            time.fromisoformat(s["end"]),
        )
        for s in d["slots"]
    ]


def slot_lines(t: Translator, d: dict[str, Any]) -> list[str]:
    """The draft's slots, one line each, in order."""
    lines = []
    for slot in sorted(slots_of(d), key=lambda s: (s.day, s.start)):
        day = format_date(slot.day, "EEEE d MMMM y", locale=t.language)
        times = f"{slot.start:%H:%M}–{slot.end:%H:%M}"
        if slot.daypart is not Daypart.TIME:
            times = f"{t.gettext(DAYPART_LABELS[slot.daypart])} ({times})"
        lines.append(f"• {escape(day)}, {escape(times)}")
    return lines


def preview_text(t: Translator, d: dict[str, Any]) -> str:
    """What will be sent, before it is."""
    lines = [
        "<b>" + t.gettext("Check your request") + "</b>",
        t.gettext("From: {practice}").format(practice=escape(d.get("practice_name", ""))),
        t.gettext("Needed: {role}").format(role=escape(t.gettext(NEEDED_LABELS[NeededRole(d["role"])]))),
        *slot_lines(t, d),
    ]
    urgency = t.gettext("Urgent (spoed)") if d["urgency"] == Urgency.SPOED.value else t.gettext("Normal")
    lines.append(t.gettext("Urgency: {urgency}").format(urgency=urgency))
    if d.get("note"):
        lines.append(t.gettext("Note: {note}").format(note=escape(d["note"])))
    return "\n".join(lines)


async def show_preview(update: Update, context: BotContext, t: Translator) -> int:
    """The preview, with send, change and cancel; or the step the draft still lacks. PTB saves the step and the
    draft in two writes, so a crash between them can leave the form a step ahead of its draft."""
    d = draft(context)
    if not d.get("role"):
        return await ask_role(update, t)
    if not d["slots"]:
        return await ask_days(update, context, t, context.runtime.clock.now().astimezone(t.zone).date())
    if not d.get("urgency"):
        return await ask_urgency(update, t)
    markup = InlineKeyboardMarkup(
        [
            [step_button(t.gettext("✅ Send"), "send")],
            [
                step_button(t.gettext("Change what"), "edit", "role"),
                step_button(t.gettext("Change days"), "edit", "days"),
            ],
            [
                step_button(t.gettext("Change urgency"), "edit", "urgency"),
                step_button(t.gettext("Change note"), "edit", "note"),
            ],
            [step_button(t.gettext("Cancel"), "abort")],
        ]
    )
    await reply(update, preview_text(t, d), markup)
    return CONFIRM


async def show_add_preview(update: Update, context: BotContext, t: Translator) -> int:
    """Adding days to a running request: the new days, then add or cancel."""
    d = draft(context)
    lines = ["<b>" + t.gettext("Add to request #{id}:").format(id=d["adding_to"]) + "</b>"]
    lines += slot_lines(t, d)
    markup = InlineKeyboardMarkup(
        [[step_button(t.gettext("✅ Add"), "add"), step_button(t.gettext("Cancel"), "abort")]]
    )
    await reply(update, "\n".join(lines), markup)
    return CONFIRM
