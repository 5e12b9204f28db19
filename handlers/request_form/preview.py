"""`/verzoek`'s last step: the preview, then send, change a step or cancel; and adding days to a running
request from /mijnverzoeken, which reuses the days and day-parts steps and ends in its own preview."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from html import escape

from babel.dates import format_date
from telegram import InlineKeyboardMarkup, Update

from bot.i18n import N_, Translator
from bot.permissions import may_act_for_request, practice_to_post_for
from bot.services.ladder import post_and_ask
from bot.services.requests import RequestError, add_slots, load_request, record_status_message
from db.models import Daypart, RequestStatus, ShortageRequest, Urgency
from handlers.callback_data import Action
from handlers.context import BotContext, Turn
from handlers.conversation import end_with_the_change, reply
from handlers.editing import digest, remove_buttons
from handlers.entry import Press, first_id, press
from handlers.form_errors import error_text
from handlers.ladder_views import posted_message, waits_of
from handlers.request_form.base import (
    DRAFT,
    END,
    NAME,
    Question,
    keep,
    load,
    parse_step,
    question,
    step_button,
    step_press,
    stop,
    wrong_button,
)
from handlers.request_form.draft import CONFIRM, RequestDraft
from handlers.request_form.role_days import ask_days, ask_role
from handlers.request_form.urgency_note import ask_note, ask_urgency
from handlers.request_views import DAYPART_LABELS, NEEDED_LABELS

# --- the preview ---------------------------------------------------------------------------------------


def slot_lines(t: Translator, draft: RequestDraft) -> list[str]:
    """The draft's slots, one line each, in order."""
    lines = []
    for slot in sorted(draft.slots, key=lambda s: (s.day, s.start)):
        day = format_date(slot.day, "EEEE d MMMM y", locale=t.language)
        times = f"{slot.start:%H:%M}–{slot.end:%H:%M}"
        if slot.daypart is not Daypart.TIME:
            times = f"{t.gettext(DAYPART_LABELS[slot.daypart])} ({times})"
        lines.append(f"• {escape(day)}, {escape(times)}")
    return lines


def preview_text(t: Translator, draft: RequestDraft) -> str:
    """What will be sent, before it is."""
    assert draft.role is not None
    lines = [
        "<b>" + t.gettext("Check your request") + "</b>",
        t.gettext("From: {practice}").format(practice=escape(draft.practice_name)),
        t.gettext("Needed: {role}").format(role=escape(t.gettext(NEEDED_LABELS[draft.role]))),
        *slot_lines(t, draft),
    ]
    urgency = t.gettext("Urgent (spoed)") if draft.urgency is Urgency.SPOED else t.gettext("Normal")
    lines.append(t.gettext("Urgency: {urgency}").format(urgency=urgency))
    if draft.note:
        lines.append(t.gettext("Note: {note}").format(note=escape(draft.note)))
    return "\n".join(lines)


@question(CONFIRM)
async def show_preview(update: Update, context: BotContext, t: Translator, draft: RequestDraft) -> int:
    """The preview, with send, change and cancel; when adding days, the new days with add or cancel."""
    if draft.adding_to is not None:
        return await _show_add_preview(update, t, draft)
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
    await reply(update, preview_text(t, draft), markup)
    return CONFIRM


async def _show_add_preview(update: Update, t: Translator, draft: RequestDraft) -> int:
    lines = ["<b>" + t.gettext("Add to request #{id}:").format(id=draft.adding_to) + "</b>"]
    lines += slot_lines(t, draft)
    markup = InlineKeyboardMarkup(
        [[step_button(t.gettext("✅ Add"), "add"), step_button(t.gettext("Cancel"), "abort")]]
    )
    await reply(update, "\n".join(lines), markup)
    return CONFIRM


# --- its buttons ---------------------------------------------------------------------------------------

Answer = Callable[[Update, BotContext, Turn, RequestDraft, str], Awaitable[int]]


@step_press
async def confirm(press: Press[None]) -> int:
    """Send, change a step, or stop (add or stop, when adding days)."""
    step, value, _day = parse_step(press.data)
    draft = load(press.context)
    adding = draft.adding_to is not None
    answer = (_ADDING if adding else _POSTING).get(step)
    if answer is None or (not adding and draft.next_step() != CONFIRM):
        # A button of an older preview (buttons are tracked per chat, not per message).
        return await wrong_button(press.query, press.t, CONFIRM)
    return await answer(press.update, press.context, press.turn, draft, value)


async def _abort(update: Update, context: BotContext, turn: Turn, draft: RequestDraft, value: str) -> int:
    query = update.callback_query
    assert query is not None
    await query.answer()
    await remove_buttons(query)
    return await stop(update, context, turn.t)


_CHANGES: dict[str, Question] = {"role": ask_role, "days": ask_days, "urgency": ask_urgency, "note": ask_note}


async def _change(update: Update, context: BotContext, turn: Turn, draft: RequestDraft, value: str) -> int:
    """Ask a step again; changing the days asks their day-parts again too."""
    query = update.callback_query
    assert query is not None
    ask = _CHANGES.get(value)
    if ask is None:
        return await wrong_button(query, turn.t, CONFIRM)
    await query.answer()
    await remove_buttons(query)
    if value == "days":
        draft.restart_dayparts()
        keep(context, draft)
    return await ask(update, context, turn.t, draft)


async def _send(update: Update, context: BotContext, turn: Turn, draft: RequestDraft, value: str) -> int:
    """Post the request and start its ladder; the form ends in the same transaction."""
    query = update.callback_query
    assert query is not None
    t = turn.t
    author, practice = turn.member, practice_to_post_for(turn.member)
    if author is None or practice is None or practice.id != draft.practice_id:
        await query.answer(t.gettext("You can no longer post for this practice."), show_alert=True)
        return await stop(update, context, t, quiet=True)
    assert draft.role is not None and draft.urgency is not None
    try:
        asked = await post_and_ask(
            turn.session, now=turn.now, zone=t.zone, waits=waits_of(turn.runtime.settings), author=author,
            practice=practice, role_needed=draft.role, urgency=draft.urgency, slots=draft.slots, note=draft.note,
        )  # fmt: skip
    except RequestError as exc:
        await query.answer(error_text(t, exc.code), show_alert=True)
        return CONFIRM
    await end_with_the_change(update, context, turn, name=NAME, draft_key=DRAFT)
    await turn.commit()
    await query.answer()
    await remove_buttons(query)
    text, markup = posted_message(t, asked.request, asked.asked, asked.waiting, asked.reached_at)
    status = await reply(update, text, markup)
    # Kept current from now on (rounds, filled, closed): remember the message and what it shows.
    await record_status_message(turn.session, asked.request.id, status.message_id, digest(text, markup))
    await turn.commit()
    return await stop(update, context, t, quiet=True)


_POSTING: dict[str, Answer] = {"send": _send, "edit": _change, "abort": _abort}

# --- adding days to a running request ------------------------------------------------------------------


@press(
    Action.ADD_DAYS,
    rule=may_act_for_request,
    subject=first_id(load_request),
    refusal=N_("You cannot do that with this request."),
    otherwise=END,
)
async def start_adding_days(press: Press[ShortageRequest]) -> int | None:
    """From /mijnverzoeken: add days to a running request, with the same day and day-part steps."""
    query, t, request = press.query, press.t, press.subject
    if request.status not in (RequestStatus.OPEN, RequestStatus.FILLED):
        await press.refuse(N_("This request is no longer open."))
        return END
    current = load(press.context)
    if current.role is not None and current.adding_to is None:
        await press.refuse(N_("You are still writing a request. Send it or /annuleer first."))
        return None  # stay wherever the unfinished request is
    await query.answer()
    return await ask_days(press.update, press.context, t, RequestDraft.adding_days_to(request.id))


async def _add(update: Update, context: BotContext, turn: Turn, draft: RequestDraft, value: str) -> int:
    """Add the draft's days to the request, checked again now."""
    query = update.callback_query
    assert query is not None
    t = turn.t
    request = await load_request(turn.session, draft.adding_to)
    if request is None or turn.member is None or not may_act_for_request(turn.member, request):
        await query.answer(t.gettext("You cannot do that with this request."), show_alert=True)
        return await stop(update, context, t, quiet=True)
    try:
        told = await add_slots(
            turn.session, now=turn.now, zone=t.zone, member=turn.member, request=request, slots=draft.slots
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
    return await stop(update, context, t, quiet=True)


_ADDING: dict[str, Answer] = {"add": _add, "abort": _abort}
