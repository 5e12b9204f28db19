"""`/bijeenkomst`: the guided conversation in which a coordinator (or a practice manager, where the region allows
it) plans a wijk meeting; and moving one date of a meeting, which reuses the date and time steps.

The draft lives in user_data and the step in the persisted conversation, so a restart loses nothing; each wrong
input is explained and keeps the step; who may plan is checked again when the meeting is saved.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from html import escape
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.i18n import Translator
from bot.permissions import may_manage_meeting as may_manage
from bot.services.dates import DateInputError, parse_date, parse_time_range, validate_request_date
from bot.services.meeting_changes import move_occurrence
from bot.services.meeting_times import (
    DEFAULT_REMINDERS,
    TimeInputError,
    parse_offset_text,
    to_utc,
)
from bot.services.meetings import (
    MAX_AGENDA,
    MAX_DAYS_AHEAD,
    MAX_LOCATION,
    MAX_TITLE,
    MeetingError,
    check_spec,
    check_text,
    check_url,
    create_meeting,
    load_occurrence,
    schedulable_wijk_ids,
)
from bot.services.network import active_wijken
from db.models import Region, Wijk
from handlers.callback_data import Action, decode, pattern
from handlers.context import BotContext, Turn, open_turn
from handlers.conversation import TEXT, end_with_the_change, persistent_conversation, stay
from handlers.editing import remove_buttons
from handlers.meeting_steps import (
    AGENDA,
    AUDIENCE,
    CONFIRM,
    DATE,
    DRAFT,
    END,
    LINK,
    PLACE,
    REMIND,
    REPEAT,
    TIME,
    TITLE,
    WIJK,
    ask_agenda,
    ask_audience,
    ask_date,
    ask_link,
    ask_place,
    ask_reminders,
    ask_repeat,
    ask_time,
    ask_title,
    ask_wijk,
    button_fits,
    draft,
    error_text,
    expected_state,
    parse_step,
    show_move_preview,
    show_preview,
    spec_of,
    start_of,
    wijk_markup,
)
from handlers.request_steps import reply

NAME = "bijeenkomst"  # the persisted conversation's name


async def _wijken(turn: Turn) -> list[Wijk]:
    """The wijken this person may plan for."""
    allowed = schedulable_wijk_ids(turn.member)
    if turn.member is None or allowed == []:
        return []
    wijken = await active_wijken(turn.session, turn.member.region_id)
    return wijken if allowed is None else [w for w in wijken if w.id in allowed]


async def start(update: Update, context: BotContext) -> int:
    """Begin a meeting, for someone who may plan one."""
    async with open_turn(update, context) as turn:
        wijken = await _wijken(turn)
        if not wijken:
            await reply(update, turn.t.gettext("Only the regional coordinator can plan wijk meetings."))
            return END
        assert context.user_data is not None
        context.user_data[DRAFT] = {"wijk_ids": [], "whole_region": False}
        if len(wijken) == 1 and schedulable_wijk_ids(turn.member) is not None:
            context.user_data[DRAFT].update(wijk_ids=[wijken[0].id], wijk_names=wijken[0].name)
            return await ask_title(update, turn.t)
        return await ask_wijk(update, turn.t, wijken, [])


async def choose_wijk(update: Update, context: BotContext) -> int:
    """Toggle a wijk, take the whole region, or go on."""
    query = update.callback_query
    assert query is not None
    step, value = parse_step(query.data)
    async with open_turn(update, context) as turn:
        t, d = turn.t, draft(context)
        wijken = await _wijken(turn)
        by_id = {str(w.id): w for w in wijken}
        if step == "region" and schedulable_wijk_ids(turn.member) is None:
            d.update(wijk_ids=[], whole_region=True, wijk_names=None)
        elif step == "w" and value in by_id:
            await query.answer()
            d["wijk_ids"] = sorted(set(d["wijk_ids"]) ^ {int(value)})
            await query.edit_message_reply_markup(wijk_markup(t, wijken, d["wijk_ids"]))
            return WIJK
        elif step == "wdone" and d["wijk_ids"]:
            d["wijk_names"] = ", ".join(by_id[str(i)].name for i in d["wijk_ids"] if str(i) in by_id)
        elif step == "wdone":
            await query.answer(t.gettext("Choose at least one wijk, or the whole region."), show_alert=True)
            return WIJK
        else:
            await query.answer(t.gettext("This button belongs to another step."))
            return WIJK
        await query.answer()
        await remove_buttons(query)
        return await ask_title(update, t)


async def type_title(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    async with open_turn(update, context) as turn:
        try:
            title = check_text(message.text, MAX_TITLE, _today(turn), required=True)
        except MeetingError as exc:
            await reply(update, error_text(turn.t, exc.code))
            return TITLE
        draft(context)["title"] = title
        return await ask_date(update, turn.t)


def _today(turn: Turn) -> date:
    return turn.now.astimezone(turn.t.zone).date()


async def type_date(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    async with open_turn(update, context) as turn:
        try:
            day = parse_date(message.text[:100], _today(turn))
            validate_request_date(day, _today(turn), MAX_DAYS_AHEAD)
        except DateInputError as exc:
            await reply(update, error_text(turn.t, exc.code))
            return DATE
        draft(context)["date"] = day.isoformat()
        return await ask_time(update, turn.t)


async def type_time(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    async with open_turn(update, context) as turn:
        t, d = turn.t, draft(context)
        try:
            start, end = parse_time_range(message.text[:100])
        except DateInputError as exc:
            await reply(update, error_text(t, exc.code))
            return TIME
        if to_utc(datetime.combine(date.fromisoformat(d["date"]), start), t.zone) <= turn.now:
            await reply(update, error_text(t, "in_past"))
            return TIME
        d["start"], d["end"] = start.strftime("%H:%M"), end.strftime("%H:%M")
        if d.get("moving"):
            return await show_move_preview(update, t, d)
        return await ask_place(update, t)


async def type_place(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    async with open_turn(update, context) as turn:
        try:
            draft(context)["location"] = check_text(message.text, MAX_LOCATION, _today(turn))
        except MeetingError as exc:
            await reply(update, error_text(turn.t, exc.code))
            return PLACE
        return await ask_link(update, turn.t)


async def type_link(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    async with open_turn(update, context) as turn:
        try:
            draft(context)["url"] = check_url(message.text)
        except MeetingError as exc:
            await reply(update, error_text(turn.t, exc.code))
            return LINK
        return await ask_agenda(update, turn.t)


async def type_agenda(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    async with open_turn(update, context) as turn:
        try:
            draft(context)["agenda"] = check_text(message.text, MAX_AGENDA, _today(turn))
        except MeetingError as exc:
            await reply(update, error_text(turn.t, exc.code))
            return AGENDA
        return await ask_audience(update, turn.t)


async def type_reminders(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    async with open_turn(update, context) as turn:
        try:
            draft(context)["reminders"] = parse_offset_text(message.text[:100])
        except TimeInputError as exc:
            await reply(update, error_text(turn.t, exc.code))
            return REMIND
        return await show_preview(update, turn.t, draft(context))


async def press(update: Update, context: BotContext) -> int:
    """Every step button after the wijk: skip place, link or agenda, audience, repeat, reminders, confirm."""
    query = update.callback_query
    assert query is not None
    step, value = parse_step(query.data)
    async with open_turn(update, context) as turn:
        t, d = turn.t, draft(context)
        state = expected_state(d)
        if step == "abort" and state == CONFIRM:
            await query.answer()
            await remove_buttons(query)
            return await _stop(update, context, t)
        if step in ("send", "move") and state == CONFIRM and (step == "move") == bool(d.get("moving")):
            return await (_move(update, context, turn) if step == "move" else _send(update, context, turn))
        if not button_fits(step, value, state):
            await query.answer(t.gettext("This button belongs to another step."))
            return state
        if step == "nolink" and not d.get("location"):
            await query.answer(error_text(t, "no_place"), show_alert=True)
            return LINK
        await query.answer()
        await remove_buttons(query)
        if step == "noplace":
            d["location"] = None
            return await ask_link(update, t)
        if step == "nolink":
            d["url"] = None
            return await ask_agenda(update, t)
        if step == "noagenda":
            d["agenda"] = None
            return await ask_audience(update, t)
        if step == "aud":
            d["audience"] = value
            return await ask_repeat(update, t, date.fromisoformat(d["date"]))
        if step == "rep":
            d["repeat"] = value
            return await ask_reminders(update, t)
        d["reminders"] = list(DEFAULT_REMINDERS) if value == "default" else []
        return await show_preview(update, t, d)


async def _send(update: Update, context: BotContext, turn: Turn) -> int:
    """Plan it: checked again (who, what, when), saved with its invitations in one transaction."""
    query = update.callback_query
    assert query is not None
    t, d = turn.t, draft(context)
    allowed = schedulable_wijk_ids(turn.member)
    if turn.member is None or allowed == [] or (allowed is not None and not set(d["wijk_ids"]) <= set(allowed)):
        await query.answer(error_text(t, "not_allowed"), show_alert=True)
        return await _stop(update, context, t, quiet=True)
    try:
        spec = check_spec(spec_of(d), today=_today(turn))
        if to_utc(spec.start_local, t.zone) <= turn.now:
            raise MeetingError("in_past")
        region = await turn.session.get(Region, turn.member.region_id)
        assert region is not None
        meeting = await create_meeting(
            turn.session, now=turn.now, region=region, author=turn.member, spec=spec, key=None
        )
    except MeetingError as exc:
        await query.answer(error_text(t, exc.code), show_alert=True)
        return CONFIRM
    await end_with_the_change(update, context, turn, name=NAME, draft_key=DRAFT)
    await turn.commit()
    await query.answer()
    await remove_buttons(query)
    text = t.gettext("Planned: <b>{title}</b>. The invitations go out eight weeks before each date (at once if it is "
                     "sooner). /bijeenkomsten shows the answers.")  # fmt: skip
    await reply(update, text.format(title=escape(meeting.title)))
    return await _stop(update, context, t, quiet=True)


async def start_move(update: Update, context: BotContext) -> int:
    """From a meeting card: move this date."""
    query = update.callback_query
    assert query is not None
    data = decode(query.data)
    async with open_turn(update, context) as turn:
        occurrence = await load_occurrence(turn.session, data.int_arg(0) if data else None)
        if occurrence is None or not may_manage(turn.member, occurrence.meeting):
            await query.answer(error_text(turn.t, "not_allowed"), show_alert=True)
            return END
        if occurrence.status != "scheduled" or occurrence.ends_at <= turn.now:
            await query.answer(error_text(turn.t, "not_scheduled"), show_alert=True)
            return END
        await query.answer()
        assert context.user_data is not None
        context.user_data[DRAFT] = {"moving": occurrence.id, "title": occurrence.meeting.title}
        return await ask_date(update, turn.t)


async def _move(update: Update, context: BotContext, turn: Turn) -> int:
    query = update.callback_query
    assert query is not None
    t, d = turn.t, draft(context)
    occurrence = await load_occurrence(turn.session, d["moving"])
    if occurrence is None or not may_manage(turn.member, occurrence.meeting):
        await query.answer(error_text(t, "not_allowed"), show_alert=True)
        return await _stop(update, context, t, quiet=True)
    start = start_of(d)
    minutes = int((datetime.combine(start.date(), time.fromisoformat(d["end"])) - start) / timedelta(minutes=1))
    try:
        told = await move_occurrence(
            turn.session, now=turn.now, actor=turn.member, occurrence=occurrence, start_local=start,
            duration_minutes=minutes,
        )  # fmt: skip
    except MeetingError as exc:
        await query.answer(error_text(t, exc.code), show_alert=True)
        return await _stop(update, context, t, quiet=True)
    await end_with_the_change(update, context, turn, name=NAME, draft_key=DRAFT)
    await turn.commit()
    await query.answer()
    await remove_buttons(query)
    text = t.ngettext("Moved. {count} person invited is told.", "Moved. {count} people invited are told.", told)
    await reply(update, text.format(count=told))
    return await _stop(update, context, t, quiet=True)


async def _stop(update: Update, context: BotContext, t: Translator, *, quiet: bool = False) -> int:
    if context.user_data is not None:
        context.user_data.pop(DRAFT, None)
    if not quiet:
        await reply(update, t.gettext("Stopped; nothing was planned or changed."))
    return END


async def cancel(update: Update, context: BotContext) -> int:
    """/annuleer inside the conversation."""
    async with open_turn(update, context) as turn:
        return await _stop(update, context, turn.t)


def build() -> list[BaseHandler[Update, BotContext, Any]]:
    """The conversation, persisted under the name `bijeenkomst`."""
    buttons: BaseHandler[Update, BotContext, Any] = CallbackQueryHandler(press, pattern=pattern(Action.MEETING_STEP))
    conversation = persistent_conversation(
        name=NAME,
        entry_points=[
            CommandHandler(["bijeenkomst", "meeting"], start, filters=filters.ChatType.PRIVATE),
            CallbackQueryHandler(start_move, pattern=pattern(Action.MEETING_MOVE)),
        ],
        states={
            WIJK: [CallbackQueryHandler(choose_wijk, pattern=pattern(Action.MEETING_STEP)), stay()],
            TITLE: [MessageHandler(TEXT, type_title)],
            DATE: [MessageHandler(TEXT, type_date)],
            TIME: [MessageHandler(TEXT, type_time)],
            PLACE: [buttons, MessageHandler(TEXT, type_place)],
            LINK: [buttons, MessageHandler(TEXT, type_link)],
            AGENDA: [buttons, MessageHandler(TEXT, type_agenda)],
            AUDIENCE: [buttons, stay()],
            REPEAT: [buttons, stay()],
            REMIND: [buttons, MessageHandler(TEXT, type_reminders)],
            CONFIRM: [buttons, stay()],
        },
        cancel=cancel,
    )
    return [conversation]
