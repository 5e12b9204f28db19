"""Action points: recording them after a meeting (a short conversation: what, which practice, whom, by when),
`/actiepunten` (open ones for my practice and wijk, then those done lately, marked done; the coordinator's per
wijk), and marking one done.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape
from typing import Any, cast

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import BaseHandler, ConversationHandler, MessageHandler, filters

from bot.i18n import N_, Translator
from bot.permissions import is_member
from bot.permissions import may_close_action as may_close
from bot.permissions import may_manage_meeting as may_manage
from bot.services.actions import (
    ActionError,
    add_action_point,
    check_action_text,
    check_due,
    load_action,
    mark_done,
    open_actions,
    owner_practices,
    practice_people,
)
from bot.services.dates import DateInputError, parse_date
from bot.services.meetings import load_occurrence
from db.meetings import ActionPoint, MeetingOccurrence, OccurrenceStatus
from db.models import Member, Role
from handlers.callback_data import Action, encode
from handlers.context import BotContext, Turn, open_turn
from handlers.conversation import TEXT as TYPED
from handlers.conversation import end_with_the_change, persistent_conversation, reply, stay
from handlers.editing import remove_buttons
from handlers.entry import Press, Said, command, first_id, press
from handlers.meeting_views import action_text
from handlers.texts import member_name

TEXT, PRACTICE, PERSON, DUE = range(4)
END = ConversationHandler.END
DRAFT = "action_draft"
NAME = "actiepunt"  # the persisted conversation's name
MAX_TEXT = 3800
ERRORS: dict[str, str] = {
    "only_control_characters": N_(
        "Nothing of that text can be stored: it holds only control characters. Please type it again."
    ),
    "missing_text": N_("Please type what has to be done."),
    "too_long": N_("That is longer than 500 characters. Please make it shorter."),
    "patient_data": N_(
        "This looks like patient data (a BSN, or a name with a date of birth). Action points are for "
        "arrangements only. Please type it again without."
    ),
    "phone_number": N_(
        "This seems to hold a phone number. Please leave it out: everyone shares their own number in /profiel instead."
    ),
    "past": N_("That date is in the past. Choose today or a later day."),
    "too_far": N_("That is more than a year ahead. Choose an earlier day."),
    "unreadable": N_("I can't read that as a date. Type it like 24-3, 24-03-2027 or di 24 mrt."),
    "weekday_mismatch": N_("The weekday does not match the date. Check it and type it again."),
    "bad_owner": N_("That practice or person cannot own this action point."),
    "not_yet": N_("Action points are recorded once the meeting has begun."),
}


OTHER_STEP = N_("This button belongs to another step.")


def error_text(t: Translator, code: str) -> str:
    return escape(t.gettext(ERRORS.get(code, N_("That did not work. Please try again, or /annuleer to stop."))))


def draft(context: BotContext) -> dict[str, Any]:
    assert context.user_data is not None
    return cast(dict[str, Any], context.user_data.setdefault(DRAFT, {}))


def step_button(label: str, step: str, value: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(label[:60], callback_data=encode(Action.ACTION_STEP, step, value))


def _today(turn: Turn) -> date:
    return turn.now.astimezone(turn.t.zone).date()


@press(
    Action.ACTION_ADD,
    rule=may_manage,
    subject=first_id(load_occurrence),
    refusal=N_("You cannot do that with this meeting."),
    otherwise=END,
)
async def start(press: Press[MeetingOccurrence]) -> int:
    """From a meeting card, once the meeting has begun: the organiser records an action point."""
    t, occurrence = press.t, press.subject
    if occurrence.starts_at > press.now or occurrence.status != OccurrenceStatus.SCHEDULED:
        await press.query.answer(error_text(t, "not_yet"), show_alert=True)
        return END
    await press.query.answer()
    assert press.context.user_data is not None
    press.context.user_data[DRAFT] = {"occurrence_id": occurrence.id}
    await reply(press.update, t.gettext("<b>New action point</b>\nWhat has to be done? (At most 500 characters.)"))
    return TEXT


async def type_text(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    async with open_turn(update, context) as turn:
        t, d = turn.t, draft(context)
        try:
            d["text"] = check_action_text(message.text, _today(turn))
        except ActionError as exc:
            await reply(update, error_text(t, exc.code))
            return TEXT
        occurrence = await load_occurrence(turn.session, d.get("occurrence_id"))
        if occurrence is None:
            return await _stop(update, context, t)
        practices = await owner_practices(turn.session, occurrence.meeting)
        rows = [[step_button(p.name, "p", p.id)] for p in practices[:60]]
        await reply(update, t.gettext("Which practice takes it on?"), InlineKeyboardMarkup(rows))
        return PRACTICE


# How the step buttons come in (handlers/entry.py). The table's rule, may_manage_meeting, is about the draft's
# meeting, which the button does not carry: the practice step checks it (_owner_choices) and so does the last
# step before saving. Data that does not parse is a button of another step, and the step stays.
step_press = press(Action.ACTION_STEP, checked_by=may_manage, gone=OTHER_STEP, alert=False)


@step_press
async def choose_practice(press: Press[None]) -> int:
    query, t, turn, d = press.query, press.t, press.turn, draft(press.context)
    chosen = press.data.int_arg(1) if press.data.args[:1] == ("p",) and "text" in d else None
    # callback_data is input: only this meeting's practices, by its organiser
    if chosen is None or chosen not in await _owner_choices(turn, d):
        await query.answer(t.gettext(OTHER_STEP))
        return PRACTICE
    await query.answer()
    await remove_buttons(query)
    d["practice_id"] = chosen
    people = await practice_people(turn.session, chosen)
    rows = [[step_button(t.gettext("The practice as a whole"), "m", 0)]]
    rows += [[step_button(member_name(t, m), "m", m.id)] for m in people[:40]]
    await reply(press.update, t.gettext("The practice as a whole, or one person there?"), InlineKeyboardMarkup(rows))
    return PERSON


async def _owner_choices(turn: Turn, d: dict[str, Any]) -> set[int]:
    """The practices that may own an action point of the draft's meeting, if the presser manages it."""
    occurrence = await load_occurrence(turn.session, d.get("occurrence_id"))
    if occurrence is None or not may_manage(turn.member, occurrence.meeting):
        return set()
    return {p.id for p in await owner_practices(turn.session, occurrence.meeting)}


@step_press
async def choose_person(press: Press[None]) -> int:
    query, t, d = press.query, press.t, draft(press.context)
    chosen = press.data.int_arg(1)
    if press.data.args[:1] != ("m",) or chosen is None or "practice_id" not in d:
        await query.answer(t.gettext(OTHER_STEP))
        return PERSON
    await query.answer()
    await remove_buttons(query)
    d["member_id"] = chosen or None
    await reply(press.update, t.gettext("By when? Type the date, like <code>24-3</code> or <code>di 24 mrt</code>."))
    return DUE


async def type_due(update: Update, context: BotContext) -> int:
    """The last step: the date; then it is saved and its owners are told."""
    message = update.effective_message
    assert message is not None and message.text is not None
    async with open_turn(update, context) as turn:
        t, d = turn.t, draft(context)
        occurrence = await load_occurrence(turn.session, d.get("occurrence_id"))
        if occurrence is None or turn.member is None or not may_manage(turn.member, occurrence.meeting):
            await reply(update, t.gettext("You cannot do that with this meeting."))
            return await _stop(update, context, t, quiet=True)
        try:
            due = check_due(parse_date(message.text[:100], _today(turn)), _today(turn))
            point = await add_action_point(
                turn.session, now=turn.now, zone=t.zone, actor=turn.member, occurrence=occurrence, text=d["text"],
                practice_id=d["practice_id"], member_id=d.get("member_id"), due_on=due,
            )  # fmt: skip
        except (ActionError, DateInputError) as exc:
            await reply(update, error_text(t, exc.code))
            return DUE
        await end_with_the_change(update, context, turn, name=NAME, draft_key=DRAFT)
        await turn.commit()
        # Loaded with its owner: a lazy load of the owner would be I/O outside the async session.
        point = await load_action(turn.session, point.id) or point
        await reply(update, t.gettext("Action point saved; its owners are told.") + "\n" + action_text(t, point))
        return await _stop(update, context, t, quiet=True)


async def _stop(update: Update, context: BotContext, t: Translator, *, quiet: bool = False) -> int:
    if context.user_data is not None:
        context.user_data.pop(DRAFT, None)
    if not quiet:
        await reply(update, t.gettext("Stopped; no action point was saved."))
    return END


async def cancel(update: Update, context: BotContext) -> int:
    async with open_turn(update, context) as turn:
        return await _stop(update, context, turn.t)


@command(
    "actiepunten",
    "actions",
    rule=is_member,
    refusal=N_("Only members of the network have action points. /help explains more."),
)
async def list_actions(said: Said) -> None:
    """Open action points, then those done lately (marked done): mine, my practice's and my wijk's; a coordinator
    sees all of them per wijk."""
    t, member = said.t, said.actor
    points = await open_actions(said.session, member, now=said.now)
    if not points:
        await said.message.reply_text(t.gettext("There are no open action points."))
        return
    parts: list[str] = []
    rows = []
    for heading, point in _with_headings(member, points):
        if heading is not None:
            parts.append("<b>" + t.gettext("Wijk {name}").format(name=escape(heading)) + "</b>")
        part = action_text(t, point)
        if sum(len(p) for p in parts) + len(part) > MAX_TEXT:
            break
        parts.append(part)
        if point.done_at is None and may_close(member, point):
            label = t.gettext("Done: {text}").format(text=point.text[:40])
            rows.append([InlineKeyboardButton(label, callback_data=encode(Action.ACTION_DONE, point.id))])
    await said.message.reply_html("\n\n".join(parts), reply_markup=InlineKeyboardMarkup(rows) if rows else None)


def _with_headings(member: Member, points: Sequence[ActionPoint]) -> list[tuple[str | None, ActionPoint]]:
    """The points by wijk, due date and id; for a coordinator, the wijk's name before its first point."""
    listed: list[tuple[str | None, ActionPoint]] = []
    heading = None
    for point in sorted(points, key=lambda p: (p.wijk.name if p.wijk else "", p.done_at is not None, p.due_on, p.id)):
        if member.has_role(Role.COORDINATOR) and point.wijk is not None and point.wijk.name != heading:
            heading = point.wijk.name
            listed.append((heading, point))
        else:
            listed.append((None, point))
    return listed


@press(
    Action.ACTION_DONE,
    rule=may_close,
    subject=first_id(load_action),
    refusal=N_("You cannot do that with this action point."),
)
async def done(press: Press[ActionPoint]) -> None:
    """Mark an action point done, by its owner, its practice's managers and GPs, the organiser or a coordinator."""
    t, query = press.t, press.query
    changed = await mark_done(press.session, now=press.now, actor=press.actor, point=press.subject)
    await press.turn.commit()
    await query.answer(t.gettext("Marked done.") if changed else t.gettext("This action point was already done."))
    pressed = query.message
    if isinstance(pressed, Message) and pressed.reply_markup is not None:
        # Only the pressed button goes: a list keeps the buttons of the other action points.
        rows = [
            [button for button in row if button.callback_data != query.data]
            for row in pressed.reply_markup.inline_keyboard
        ]
        rows = [row for row in rows if row]
        await query.edit_message_reply_markup(InlineKeyboardMarkup(rows) if rows else None)


def build() -> list[BaseHandler[Update, BotContext, Any]]:
    """The action-point conversation (persisted as `actiepunt`), the list and the done button."""
    conversation = persistent_conversation(
        name=NAME,
        entry_points=[start.handler()],
        states={
            TEXT: [MessageHandler(TYPED, type_text)],
            PRACTICE: [choose_practice.handler(), stay()],
            PERSON: [choose_person.handler(), stay()],
            DUE: [MessageHandler(TYPED, type_due)],
        },
        cancel=cancel,
    )
    return [
        conversation,
        list_actions.handler(filters=filters.ChatType.PRIVATE),
        done.handler(),
    ]
