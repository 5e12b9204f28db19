"""The prompts of `/bijeenkomst` (and of moving a date), the draft they fill, and their error texts.

The answers to these prompts are in handlers/meeting_form.py.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from html import escape
from typing import Any, cast

from babel.dates import format_date
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ConversationHandler

from bot.i18n import N_, Translator
from bot.services.meeting_times import DEFAULT_REMINDERS, monthly_rule, nth_weekday, offset_label, weekly_rule
from bot.services.meetings import MeetingSpec
from db.meetings import Audience
from db.models import Wijk
from handlers.callback_data import Action, decode, encode
from handlers.context import BotContext
from handlers.meeting_views import AUDIENCE_LABELS
from handlers.request_steps import reply

WIJK, TITLE, DATE, TIME, PLACE, LINK, AGENDA, AUDIENCE, REPEAT, REMIND, CONFIRM = range(11)
END = ConversationHandler.END
DRAFT = "meeting_draft"
REPEATS = ("none", "w1", "w2", "w4", "month")

ERRORS: dict[str, str] = {
    "unreadable": N_("I can't read that as a date. Type it like 24-3, 24-03-2027 or di 24 mrt."),
    "weekday_mismatch": N_("The weekday does not match the date. Check it and type it again."),
    "past": N_("That date is in the past. Choose a later day."),
    "too_far": N_("That is more than 400 days ahead. Choose an earlier day."),
    "unreadable_time": N_("I can't read those times. Type them like 19:00-21:00."),
    "end_before_start": N_("The end time is before the start time. Type them like 19:00-21:00."),
    "too_short": N_("That is shorter than half an hour. Type a longer range, like 19:00-21:00."),
    "in_past": N_("That time has already passed. Choose a later time or day."),
    "only_control_characters": N_(
        "Nothing of that text can be stored: it holds only control characters. Please type it again."
    ),
    "missing_title": N_("Please type a title."),
    "too_long": N_("That is too long. Please make it shorter."),
    "patient_data": N_(
        "This looks like patient data (a BSN, or a name with a date of birth). Meetings are for logistics "
        "only. Please type it again without."
    ),
    "bad_url": N_("That is not a web address. Type a link that starts with https://, or tap No link."),
    "no_place": N_("A meeting needs a place, an online link, or both."),
    "no_wijk": N_("Choose at least one wijk, or the whole region."),
    "bad_reminder": N_("Type reminders like 7d 1d 2h (days, hours, minutes before), or tap a button."),
    "reminder_range": N_("A reminder can be from 1 minute up to 28 days before the meeting."),
    "too_many_reminders": N_("At most 5 reminders, please."),
    "not_scheduled": N_("This meeting date is cancelled or over."),
    "not_allowed": N_("You cannot do that with this meeting."),
    "bad_duration": N_("A meeting lasts from 15 minutes to 12 hours. Type the times again, like 19:00-21:00."),
}


def error_text(t: Translator, code: str) -> str:
    """The explanation for an error code (HTML-escaped)."""
    return escape(t.gettext(ERRORS.get(code, N_("That did not work. Please try again, or /annuleer to stop."))))


def draft(context: BotContext) -> dict[str, Any]:
    """The draft in user_data (plain JSON, so it is persisted with the conversation)."""
    assert context.user_data is not None
    return cast(dict[str, Any], context.user_data.setdefault(DRAFT, {}))


def parse_step(data: str | None) -> tuple[str, str]:
    """A step button's (step, value); empty strings for anything else."""
    parsed = decode(data)
    if parsed is None or parsed.action is not Action.MEETING_STEP or not parsed.args:
        return "", ""
    return parsed.args[0], parsed.args[1] if len(parsed.args) > 1 else ""


def step_button(label: str, step: str, value: str = "") -> InlineKeyboardButton:
    """A button of the meeting form."""
    return InlineKeyboardButton(label, callback_data=encode(Action.MEETING_STEP, *[a for a in (step, value) if a]))


def wijk_markup(t: Translator, wijken: list[Wijk], chosen: list[int]) -> InlineKeyboardMarkup:
    """Toggle wijken on and off, or take the whole region."""
    rows = [[step_button(("✅ " if w.id in chosen else "") + w.name, "w", str(w.id))] for w in wijken]
    rows.append([step_button(t.gettext("The whole region"), "region")])
    rows.append([step_button(t.gettext("Next ›"), "wdone")])
    return InlineKeyboardMarkup(rows)


async def ask_wijk(update: Update, t: Translator, wijken: list[Wijk], chosen: list[int]) -> int:
    """Which wijken the meeting is for."""
    await reply(update, t.gettext("<b>New meeting</b>\nFor which wijk? Tap one or more, then Next."),
                wijk_markup(t, wijken, chosen))  # fmt: skip
    return WIJK


async def ask_title(update: Update, t: Translator) -> int:
    await reply(update, t.gettext("<b>Title?</b> For example: Wijkoverleg Noordwest, spring."))
    return TITLE


async def ask_date(update: Update, t: Translator) -> int:
    await reply(update, t.gettext("<b>Which day?</b> Type the date, like <code>24-3</code> or <code>di 24 mrt</code>."))
    return DATE


async def ask_time(update: Update, t: Translator) -> int:
    await reply(update, t.gettext("<b>From when to when?</b> Type the times, like <code>19:00-21:00</code>."))
    return TIME


async def ask_place(update: Update, t: Translator) -> int:
    markup = InlineKeyboardMarkup([[step_button(t.gettext("Online only"), "noplace")]])
    await reply(update, t.gettext("<b>Where?</b> Type the address, or tap Online only."), markup)
    return PLACE


async def ask_link(update: Update, t: Translator) -> int:
    markup = InlineKeyboardMarkup([[step_button(t.gettext("No link"), "nolink")]])
    await reply(update, t.gettext("<b>Online link?</b> Type it (https://…) for an online or hybrid meeting."), markup)
    return LINK


async def ask_agenda(update: Update, t: Translator) -> int:
    markup = InlineKeyboardMarkup([[step_button(t.gettext("No agenda"), "noagenda")]])
    text = t.gettext("<b>Agenda?</b> Type it (at most 2000 characters, <b>no patient data</b>), or tap No agenda.")
    await reply(update, text, markup)
    return AGENDA


async def ask_audience(update: Update, t: Translator) -> int:
    rows = [[step_button(t.gettext(label), "aud", audience.value)] for audience, label in AUDIENCE_LABELS.items()]
    await reply(update, t.gettext("<b>Who is invited?</b>"), InlineKeyboardMarkup(rows))
    return AUDIENCE


def repeat_label(t: Translator, value: str, day: date) -> str:
    """A recurrence choice in words; the monthly one names the weekday, e.g. every 2nd Tuesday."""
    if value == "w1":
        return t.gettext("Every week")
    if value in ("w2", "w4"):
        return t.gettext("Every {count} weeks").format(count=value[1:])
    if value == "month":
        weekday = format_date(day, "EEEE", locale=t.language)
        nth = nth_weekday(day)
        if nth == 5:
            return t.gettext("Monthly, on the last {weekday}").format(weekday=weekday)
        return t.gettext("Monthly, on {weekday} number {nth} of the month").format(nth=nth, weekday=weekday)
    return t.gettext("Once")


async def ask_repeat(update: Update, t: Translator, day: date) -> int:
    rows = [[step_button(repeat_label(t, value, day), "rep", value)] for value in REPEATS]
    await reply(update, t.gettext("<b>Does it repeat?</b>"), InlineKeyboardMarkup(rows))
    return REPEAT


def reminders_label(t: Translator, minutes: list[int]) -> str:
    """`7d, 1d, 2h before`, or no reminders."""
    if not minutes:
        return t.gettext("no reminders")
    return t.gettext("{list} before").format(list=", ".join(offset_label(m) for m in minutes))


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


def start_of(d: dict[str, Any]) -> datetime:
    """The draft's local start."""
    return datetime.combine(date.fromisoformat(d["date"]), time.fromisoformat(d["start"]))


def preview_text(t: Translator, d: dict[str, Any]) -> str:
    """What will be planned, before it is."""
    start = start_of(d)
    when = format_date(start.date(), "EEEE d MMMM y", locale=t.language) + f", {d['start']}–{d['end']}"
    lines = [
        "<b>" + t.gettext("Check the meeting") + "</b>",
        f"<b>{escape(d['title'])}</b>",
        t.gettext("When: {when}").format(when=escape(when)),
        t.gettext("Repeats: {repeat}").format(repeat=escape(repeat_label(t, d["repeat"], start.date()))),
    ]
    if d.get("location"):
        lines.append(t.gettext("Where: {place}").format(place=escape(d["location"])))
    if d.get("url"):
        lines.append(t.gettext("Online: {url}").format(url=escape(d["url"])))
    lines.append(t.gettext("For: {who}").format(who=escape(d.get("wijk_names") or t.gettext("the whole region"))))
    lines.append(t.gettext("Invited: {who}").format(who=t.gettext(AUDIENCE_LABELS[Audience(d["audience"])])))
    lines.append(t.gettext("Reminders: {list}").format(list=reminders_label(t, d["reminders"])))
    if d.get("agenda"):
        lines.append(t.gettext("Agenda:") + "\n" + escape(d["agenda"]))
    return "\n".join(lines)


async def show_preview(update: Update, t: Translator, d: dict[str, Any]) -> int:
    markup = InlineKeyboardMarkup(
        [[step_button(t.gettext("✅ Plan and invite"), "send"), step_button(t.gettext("Cancel"), "abort")]]
    )
    await reply(update, preview_text(t, d), markup)
    return CONFIRM


async def show_move_preview(update: Update, t: Translator, d: dict[str, Any]) -> int:
    start = start_of(d)
    when = format_date(start.date(), "EEEE d MMMM y", locale=t.language) + f", {d['start']}–{d['end']}"
    text = t.gettext("Move <b>{title}</b> to {when}? Everyone invited is told, with a new calendar file.").format(
        title=escape(d["title"]), when=escape(when)
    )
    markup = InlineKeyboardMarkup(
        [[step_button(t.gettext("✅ Move"), "move"), step_button(t.gettext("Cancel"), "abort")]]
    )
    await reply(update, text, markup)
    return CONFIRM


def expected_state(d: dict[str, Any]) -> int:
    """Which step the draft is at, from what it holds (buttons are tracked per chat, not per message)."""
    if d.get("moving"):
        return CONFIRM if "end" in d else DATE
    for key, state in (("location", PLACE), ("url", LINK), ("agenda", AGENDA), ("audience", AUDIENCE)):
        if key not in d:
            return state
    return REPEAT if "repeat" not in d else (REMIND if "reminders" not in d else CONFIRM)


def button_fits(step: str, value: str, state: int) -> bool:
    """Whether a step button belongs to the step the draft is at, with a value it can have."""
    allowed = {PLACE: ("noplace",), LINK: ("nolink",), AGENDA: ("noagenda",), AUDIENCE: ("aud",),
               REPEAT: ("rep",), REMIND: ("rem",)}.get(state, ())  # fmt: skip
    if step not in allowed:
        return False
    if step == "aud":
        return value in {a.value for a in Audience}
    if step == "rep":
        return value in REPEATS
    return step != "rem" or value in ("default", "none")


def spec_of(d: dict[str, Any]) -> MeetingSpec:
    """The finished draft as service input, with its recurrence as an RRULE."""
    start = start_of(d)
    end = datetime.combine(start.date(), time.fromisoformat(d["end"]))
    rules = {"w1": weekly_rule(1), "w2": weekly_rule(2), "w4": weekly_rule(4), "month": monthly_rule(start.date())}
    return MeetingSpec(
        title=d["title"],
        start_local=start,
        duration_minutes=int((end - start) / timedelta(minutes=1)),
        wijk_ids=list(d["wijk_ids"]),
        whole_region=bool(d["whole_region"]),
        location=d.get("location"),
        url=d.get("url"),
        agenda=d.get("agenda"),
        audience=Audience(d["audience"]),
        rrule=rules.get(d["repeat"]),
        reminder_minutes=list(d["reminders"]),
    )
