"""`/verzoek`: the guided conversation in which a practice posts a shortage request.

Steps: what is needed, which days, the day-parts or times per day, urgency, an optional note, then a preview
to send or change. The draft lives in user_data and the step in the persisted conversation, so a restart
in the middle loses nothing. Each wrong input gets a translated explanation and keeps the step.
"""

from __future__ import annotations

from datetime import date, time
from html import escape
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.i18n import Translator
from bot.permissions import may_act_for_request, practice_to_post_for
from bot.services.dates import DateInputError, parse_dates, parse_time_range, validate_request_date
from bot.services.ladder import post_and_ask
from bot.services.requests import (
    MAX_DAYS_AHEAD,
    NeededRole,
    RequestError,
    SlotInput,
    add_slots,
    check_note,
    check_urgency,
    load_request,
)
from db.models import Daypart, RequestStatus, Urgency
from handlers.callback_data import Action, decode, pattern
from handlers.context import BotContext, Turn, open_turn
from handlers.conversation import TEXT, end_with_the_change, persistent_conversation, stay
from handlers.editing import edit_if_changed, remove_buttons
from handlers.form_errors import error_text
from handlers.ladder_views import posted_message, waits_of
from handlers.request_steps import (
    CONFIRM,
    DAYPARTS,
    DAYS,
    DRAFT,
    END,
    NOTE,
    ROLE,
    URGENCY,
    after_slots,
    ask_daypart,
    ask_days,
    ask_note,
    ask_role,
    ask_urgency,
    days_markup,
    draft,
    is_complete,
    next_day,
    parse_step,
    reply,
    show_preview,
    slots_of,
)
from handlers.request_views import NEEDED_LABELS

NAME = "verzoek"  # the persisted conversation's name

# --- step 1: what --------------------------------------------------------------------------------------


async def start(update: Update, context: BotContext) -> int:
    """Begin a request, for someone who may post for a practice."""
    async with open_turn(update, context) as turn:
        practice = practice_to_post_for(turn.member)
        if practice is None:
            await reply(
                update,
                turn.t.gettext(
                    "Only practice managers and GPs of a practice can post a request. /help shows what you can do."
                ),
            )
            return END
        assert context.user_data is not None
        context.user_data[DRAFT] = {"practice_id": practice.id, "practice_name": practice.name, "days": [], "slots": []}
        return await ask_role(update, turn.t)


async def choose_role(update: Update, context: BotContext) -> int:
    """Store the role; go on to the days, or back to the preview when changing."""
    query = update.callback_query
    assert query is not None
    step, value, _day = parse_step(query.data)
    async with open_turn(update, context) as turn:
        if step != "role" or value not in {role.value for role in NeededRole}:
            await query.answer(turn.t.gettext("This button belongs to another step."))
            return ROLE
        await query.answer()
        d = draft(context)
        d["role"] = value
        await edit_if_changed(
            query, turn.t.gettext("What: {role}").format(role=escape(turn.t.gettext(NEEDED_LABELS[NeededRole(value)])))
        )
        if is_complete(d):
            return await show_preview(update, context, turn.t)
        return await ask_days(update, context, turn.t, turn.now.astimezone(turn.t.zone).date())


# --- step 2: which days --------------------------------------------------------------------------------


async def toggle_day(update: Update, context: BotContext) -> int:
    """Tap a day on or off; Next goes on to the day-parts."""
    query = update.callback_query
    assert query is not None
    step, value, _day = parse_step(query.data)
    async with open_turn(update, context) as turn:
        t, today = turn.t, turn.now.astimezone(turn.t.zone).date()
        d = draft(context)
        if step == "days_done":
            if not d["days"]:
                await query.answer(t.gettext("Choose at least one day first."), show_alert=True)
                return DAYS
            await query.answer()
            await remove_buttons(query)
            d["slots"] = []
            return await ask_daypart(update, context, t)
        if step != "day" or len(value) != 8 or not value.isdigit():
            await query.answer(t.gettext("This button belongs to another step."))
            return DAYS
        try:
            day = date(int(value[:4]), int(value[4:6]), int(value[6:]))
            if day.isoformat() not in d["days"]:  # taking a day off the list is always fine
                validate_request_date(day, today, MAX_DAYS_AHEAD)
        except (ValueError, DateInputError):
            await query.answer(t.gettext("That day can no longer be chosen."), show_alert=True)
            return DAYS
        await query.answer()
        iso = day.isoformat()
        d["days"] = sorted(set(d["days"]) ^ {iso})
        await query.edit_message_reply_markup(days_markup(t, today, d["days"]))
        return DAYS


async def type_days(update: Update, context: BotContext) -> int:
    """Typed dates are read, checked and added; a wrong one is explained and nothing is added."""
    message = update.effective_message
    assert message is not None and message.text is not None
    async with open_turn(update, context) as turn:
        t, today = turn.t, turn.now.astimezone(turn.t.zone).date()
        try:
            days = parse_dates(message.text[:200], today)
            for day in days:
                validate_request_date(day, today, MAX_DAYS_AHEAD)
        except DateInputError as exc:
            await reply(update, error_text(t, exc.code, part=getattr(exc, "part", None)))
            return DAYS
        d = draft(context)
        d["days"] = sorted(set(d["days"]) | {day.isoformat() for day in days})
        return await ask_days(update, context, t, today)


# --- step 3: day-parts per day -------------------------------------------------------------------------


def _add_slot(d: dict[str, Any], day: str, daypart: Daypart, start: time, end: time) -> None:
    d["slots"].append(
        {"day": day, "daypart": daypart.value, "start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")}
    )


async def choose_daypart(update: Update, context: BotContext) -> int:
    """A day-part button for the day being asked about."""
    query = update.callback_query
    assert query is not None
    step, value, for_day = parse_step(query.data)
    async with open_turn(update, context) as turn:
        d = draft(context)
        day = next_day(d)
        if step != "dp" or value not in ("ochtend", "middag", "both") or day is None or for_day != day.replace("-", ""):
            await query.answer(turn.t.gettext("This button belongs to another step."))
            return DAYPARTS
        await query.answer()
        await remove_buttons(query)
        parts = [Daypart.OCHTEND, Daypart.MIDDAG] if value == "both" else [Daypart(value)]
        for part in parts:
            slot = SlotInput.for_daypart(date.fromisoformat(day), part)
            _add_slot(d, day, part, slot.start, slot.end)
        return await ask_daypart(update, context, turn.t)


async def type_times(update: Update, context: BotContext) -> int:
    """Exact times for the day being asked about."""
    message = update.effective_message
    assert message is not None and message.text is not None
    async with open_turn(update, context) as turn:
        d = draft(context)
        day = next_day(d)
        if day is None:
            return await after_slots(update, context, turn.t)
        try:
            start, end = parse_time_range(message.text[:100])
        except DateInputError as exc:
            await reply(update, error_text(turn.t, exc.code))
            return DAYPARTS
        _add_slot(d, day, Daypart.TIME, start, end)
        return await ask_daypart(update, context, turn.t)


# --- step 4: urgency -----------------------------------------------------------------------------------


async def choose_urgency(update: Update, context: BotContext) -> int:
    """Store the urgency; spoed only for today or tomorrow."""
    query = update.callback_query
    assert query is not None
    step, value, _day = parse_step(query.data)
    async with open_turn(update, context) as turn:
        t, d = turn.t, draft(context)
        if step != "urg" or value not in (Urgency.SPOED.value, Urgency.NORMAAL.value):
            await query.answer(t.gettext("This button belongs to another step."))
            return URGENCY
        try:
            check_urgency(
                Urgency(value), [date.fromisoformat(day) for day in d["days"]], turn.now.astimezone(t.zone).date()
            )
        except RequestError as exc:
            await query.answer(error_text(t, exc.code), show_alert=True)
            return URGENCY
        await query.answer()
        d["urgency"] = value
        await remove_buttons(query)
        if is_complete(d):
            return await show_preview(update, context, t)
        return await ask_note(update, t)


# --- step 5: note ----------------------------------------------------------------------------------------


async def type_note(update: Update, context: BotContext) -> int:
    """Check the note: length and anything that looks like patient data."""
    message = update.effective_message
    assert message is not None and message.text is not None
    async with open_turn(update, context) as turn:
        try:
            note = check_note(message.text, turn.now.astimezone(turn.t.zone).date())
        except RequestError as exc:
            await reply(update, error_text(turn.t, exc.code))
            return NOTE
        draft(context)["note"] = note
        return await show_preview(update, context, turn.t)


async def skip_note(update: Update, context: BotContext) -> int:
    """No note."""
    query = update.callback_query
    assert query is not None
    async with open_turn(update, context) as turn:
        if parse_step(query.data)[0] != "nonote":
            await query.answer(turn.t.gettext("This button belongs to another step."))
            return NOTE
        await query.answer()
        await remove_buttons(query)
        draft(context)["note"] = None
        return await show_preview(update, context, turn.t)


# --- preview and send -----------------------------------------------------------------------------------


async def confirm(update: Update, context: BotContext) -> int:
    """Send, change a step, or stop."""
    query = update.callback_query
    assert query is not None
    step, value, _day = parse_step(query.data)
    async with open_turn(update, context) as turn:
        t, d = turn.t, draft(context)
        adding = bool(d.get("adding_to"))
        allowed = ("add", "abort") if adding else ("send", "edit", "abort")
        if step not in allowed or (not adding and not is_complete(d)):
            # A button of an older preview (buttons are tracked per chat, not per message).
            await query.answer(t.gettext("This button belongs to another step."))
            return CONFIRM
        if step == "abort":
            await query.answer()
            await remove_buttons(query)
            return await _stop(update, context, t)
        if step == "edit" and value in ("role", "days", "urgency", "note"):
            await query.answer()
            await remove_buttons(query)
            if value == "role":
                return await ask_role(update, t)
            if value == "urgency":
                return await ask_urgency(update, t)
            if value == "note":
                return await ask_note(update, t)
            d["slots"] = []
            return await ask_days(update, context, t, turn.now.astimezone(t.zone).date())
        if step == "add" and d.get("adding_to"):
            return await _add_days(update, context, turn)
        if step != "send":
            await query.answer(t.gettext("This button belongs to another step."))
            return CONFIRM
        author, practice = turn.member, practice_to_post_for(turn.member)
        if author is None or practice is None or practice.id != d.get("practice_id"):
            await query.answer(t.gettext("You can no longer post for this practice."), show_alert=True)
            return await _stop(update, context, t, quiet=True)
        try:
            asked = await post_and_ask(
                turn.session,
                now=turn.now,
                zone=t.zone,
                waits=waits_of(turn.runtime.settings),
                author=author,
                practice=practice,
                role_needed=NeededRole(d["role"]),
                urgency=Urgency(d["urgency"]),
                slots=slots_of(d),
                note=d.get("note"),
            )
        except RequestError as exc:
            await query.answer(error_text(t, exc.code), show_alert=True)
            return CONFIRM
        await end_with_the_change(update, context, turn, name=NAME, draft_key=DRAFT)
        await turn.commit()
        await query.answer()
        await remove_buttons(query)
        await reply(update, *posted_message(t, asked.request, asked.asked))
    return await _stop(update, context, t, quiet=True)


async def start_adding_days(update: Update, context: BotContext) -> int | None:
    """From /mijnverzoeken: add days to a running request, with the same day and day-part steps."""
    query = update.callback_query
    assert query is not None
    data = decode(query.data)
    async with open_turn(update, context) as turn:
        request = await load_request(turn.session, data.int_arg(0) if data else None)
        if request is None or not may_act_for_request(turn.member, request):
            await query.answer(turn.t.gettext("You cannot do that with this request."), show_alert=True)
            return END
        if request.status not in (RequestStatus.OPEN.value, RequestStatus.FILLED.value):
            await query.answer(turn.t.gettext("This request is no longer open."), show_alert=True)
            return END
        current = draft(context)
        if current.get("role") and not current.get("adding_to"):
            await query.answer(
                turn.t.gettext("You are still writing a request. Send it or /annuleer first."), show_alert=True
            )
            return None  # stay wherever the unfinished request is
        await query.answer()
        assert context.user_data is not None
        context.user_data[DRAFT] = {"adding_to": request.id, "days": [], "slots": []}
        return await ask_days(update, context, turn.t, turn.now.astimezone(turn.t.zone).date())


async def _add_days(update: Update, context: BotContext, turn: Turn) -> int:
    """Add the draft's days to the request, checked again now."""
    query = update.callback_query
    assert query is not None
    t, d = turn.t, draft(context)
    request = await load_request(turn.session, d["adding_to"])
    if request is None or turn.member is None or not may_act_for_request(turn.member, request):
        await query.answer(t.gettext("You cannot do that with this request."), show_alert=True)
        return await _stop(update, context, t, quiet=True)
    try:
        told = await add_slots(
            turn.session, now=turn.now, zone=t.zone, member=turn.member, request=request, slots=slots_of(d)
        )
    except RequestError as exc:
        await query.answer(error_text(t, exc.code), show_alert=True)
        return CONFIRM
    await end_with_the_change(update, context, turn, name=NAME, draft_key=DRAFT)
    await turn.commit()
    await query.answer()
    await remove_buttons(query)
    text = t.ngettext(
        "The days are added to request #{id}; {count} person is asked again.",
        "The days are added to request #{id}; {count} people are asked again.",
        told,
    )
    await reply(update, text.format(id=request.id, count=told))
    return await _stop(update, context, t, quiet=True)


async def _stop(update: Update, context: BotContext, t: Translator, *, quiet: bool = False) -> int:
    if context.user_data is not None:
        context.user_data.pop(DRAFT, None)
    if not quiet:
        await reply(update, t.gettext("Request cancelled; nothing was sent."))
    return END


async def cancel(update: Update, context: BotContext) -> int:
    """/annuleer inside the conversation."""
    async with open_turn(update, context) as turn:
        return await _stop(update, context, turn.t)


def build() -> list[BaseHandler[Update, BotContext, Any]]:
    """The conversation, persisted under the name `verzoek`."""
    step = pattern(Action.REQUEST_STEP)
    conversation = persistent_conversation(
        name=NAME,
        entry_points=[
            CommandHandler(["verzoek", "request"], start, filters=filters.ChatType.PRIVATE),
            CallbackQueryHandler(start_adding_days, pattern=pattern(Action.ADD_DAYS)),
        ],
        states={
            ROLE: [CallbackQueryHandler(choose_role, pattern=step), stay()],
            DAYS: [CallbackQueryHandler(toggle_day, pattern=step), MessageHandler(TEXT, type_days)],
            DAYPARTS: [CallbackQueryHandler(choose_daypart, pattern=step), MessageHandler(TEXT, type_times)],
            URGENCY: [CallbackQueryHandler(choose_urgency, pattern=step), stay()],
            NOTE: [CallbackQueryHandler(skip_note, pattern=step), MessageHandler(TEXT, type_note)],
            CONFIRM: [CallbackQueryHandler(confirm, pattern=step), stay()],
        },
        cancel=cancel,
    )
    return [conversation]
