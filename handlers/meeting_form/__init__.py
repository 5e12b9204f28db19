"""`/bijeenkomst`: the guided conversation in which a coordinator (or a practice manager, where the region allows
it) plans a wijk meeting; and moving one date of a meeting, which reuses the date and time steps.

The steps, each question next to the handling of its answer: the wijken and the title (wijk_title.py), the day
and times (when.py), place, link and agenda (place.py), audience, repetition and reminders (choices.py), the
preview with plan or move (preview.py). The draft (draft.py) lives in user_data and the step in the persisted
conversation, so a restart loses nothing; each wrong input is explained and keeps the step; who may plan is
checked again when the meeting is saved.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, MessageHandler, filters

from bot.i18n import N_
from bot.permissions import may_manage_meeting as may_manage
from bot.services.meetings import load_occurrence, may_schedule, schedulable_wijk_ids
from db.meetings import MeetingOccurrence, OccurrenceStatus
from handlers.callback_data import Action
from handlers.context import BotContext, open_turn
from handlers.conversation import TEXT, persistent_conversation, reply, stay
from handlers.entry import Press, Said, command, first_id, press
from handlers.meeting_form import choices, place, preview
from handlers.meeting_form.base import END, NAME, Answer, keep, load, parse_step, step_press, stop, wrong_button
from handlers.meeting_form.draft import (
    AGENDA,
    AUDIENCE,
    CONFIRM,
    DATE,
    LINK,
    PLACE,
    REMIND,
    REPEAT,
    TIME,
    TITLE,
    WIJK,
    MeetingDraft,
)
from handlers.meeting_form.errors import ERRORS, error_text
from handlers.meeting_form.when import ask_date, type_date, type_time
from handlers.meeting_form.wijk_title import ask_title, ask_wijk, choose_wijk, plannable_wijken, type_title

NO_PLANNING = N_("Only the regional coordinator can plan wijk meetings.")
# The questions that change one detail of a planned meeting (the same as when planning it).
DETAIL_QUESTIONS = {
    "title": ask_title,
    "place": place.ask_place,
    "link": place.ask_link,
    "agenda": place.ask_agenda,
    "audience": choices.ask_audience,
}


@command("bijeenkomst", "meeting", rule=may_schedule, refusal=NO_PLANNING, otherwise=END)
async def start(said: Said) -> int:
    """Begin a meeting, for someone who may plan one."""
    wijken = await plannable_wijken(said.turn)
    if not wijken:  # allowed to plan, but none of the wijken is active
        await reply(said.update, said.t.gettext(NO_PLANNING))
        return END
    draft = MeetingDraft()
    if len(wijken) == 1 and schedulable_wijk_ids(said.member) is not None:
        draft.wijk_ids, draft.wijk_names = [wijken[0].id], wijken[0].name
        keep(said.context, draft)
        return await ask_title(said.update, said.t)
    keep(said.context, draft)
    return await ask_wijk(said.update, said.t, wijken, [])


@press(
    Action.MEETING_MOVE,
    rule=may_manage,
    subject=first_id(load_occurrence),
    refusal=ERRORS["not_allowed"],
    otherwise=END,
)
async def start_move(press: Press[MeetingOccurrence]) -> int:
    """From a meeting card: move this date."""
    query, t, occurrence = press.query, press.t, press.subject
    if occurrence.status is not OccurrenceStatus.SCHEDULED or occurrence.ends_at <= press.now:
        await query.answer(error_text(t, "not_scheduled"), show_alert=True)
        return END
    await query.answer()
    keep(press.context, MeetingDraft.moving_date(occurrence.id, occurrence.meeting.title))
    return await ask_date(press.update, t)


@press(
    Action.MEETING_EDIT,
    rule=may_manage,
    subject=first_id(load_occurrence),
    refusal=ERRORS["not_allowed"],
    otherwise=END,
)
async def start_change(press: Press[MeetingOccurrence]) -> int:
    """From the change menu of a meeting: ask its new title, place, link or agenda (the same question as when
    planning); the preview then applies it to every date."""
    query, t, occurrence = press.query, press.t, press.subject
    meeting = occurrence.meeting
    detail = press.data.args[1] if len(press.data.args) > 1 else ""
    if meeting.cancelled_at is not None or detail not in DETAIL_QUESTIONS:
        await query.answer(error_text(t, "not_scheduled" if detail in DETAIL_QUESTIONS else "not_allowed"))
        return END
    await query.answer()
    draft = MeetingDraft.changing(meeting.id, detail, meeting.title, meeting.location)
    keep(press.context, draft)
    return await DETAIL_QUESTIONS[detail](press.update, t)


# The step buttons after the wijk, by the step the draft is at (buttons are tracked per chat, not per message:
# a button of an earlier prompt belongs to another step).
BUTTONS: dict[int, dict[str, Answer]] = {
    PLACE: {"noplace": place.no_place},
    LINK: {"nolink": place.no_link},
    AGENDA: {"noagenda": place.no_agenda},
    AUDIENCE: {"aud": choices.choose_audience},
    REPEAT: {"rep": choices.choose_repeat},
    REMIND: {"rem": choices.choose_reminders},
    CONFIRM: {"send": preview.send, "move": preview.move, "apply": preview.apply, "abort": preview.abort},
}


@step_press
async def choose(press: Press[None]) -> int:
    """Every step button after the wijk: skip place, link or agenda, audience, repeat, reminders, confirm."""
    step, value = parse_step(press.data)
    draft = load(press.context)
    state = draft.next_step()
    answer = BUTTONS.get(state, {}).get(step)
    if answer is None:
        return await wrong_button(press.query, press.t, state)
    return await answer(press.update, press.context, press.turn, draft, value)


async def cancel(update: Update, context: BotContext) -> int:
    """/annuleer inside the conversation."""
    async with open_turn(update, context) as turn:
        return await stop(update, context, turn.t)


def build() -> list[BaseHandler[Update, BotContext, Any]]:
    """The conversation, persisted under the name `bijeenkomst`."""
    buttons = choose.handler()
    conversation = persistent_conversation(
        name=NAME,
        entry_points=[start.handler(filters=filters.ChatType.PRIVATE), start_move.handler(), start_change.handler()],
        states={
            WIJK: [choose_wijk.handler(), stay()],
            TITLE: [MessageHandler(TEXT, type_title)],
            DATE: [MessageHandler(TEXT, type_date)],
            TIME: [MessageHandler(TEXT, type_time)],
            PLACE: [buttons, MessageHandler(TEXT, place.type_place)],
            LINK: [buttons, MessageHandler(TEXT, place.type_link)],
            AGENDA: [buttons, MessageHandler(TEXT, place.type_agenda)],
            AUDIENCE: [buttons, stay()],
            REPEAT: [buttons, stay()],
            REMIND: [buttons, MessageHandler(TEXT, choices.type_reminders)],
            CONFIRM: [buttons, stay()],
        },
        cancel=cancel,
    )
    return [conversation]
