"""`/bijeenkomst`'s last step: the preview, then plan and invite, or cancel; and the same for moving a date."""

from __future__ import annotations

from datetime import date
from html import escape

from babel.dates import format_date
from telegram import InlineKeyboardMarkup, Update

from bot.i18n import Translator
from bot.permissions import may_manage_meeting as may_manage
from bot.services.meeting_changes import move_occurrence
from bot.services.meeting_times import nth_weekday, offset_label
from bot.services.meetings import MeetingError, create_meeting, load_occurrence, schedulable_wijk_ids
from db.models import Region
from handlers.context import BotContext, Turn
from handlers.conversation import end_with_the_change, reply
from handlers.editing import remove_buttons
from handlers.meeting_form.base import DRAFT, NAME, pressed, step_button, stop, wrong_button
from handlers.meeting_form.draft import CONFIRM, MeetingDraft
from handlers.meeting_form.errors import error_text
from handlers.meeting_views import AUDIENCE_LABELS


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


def reminders_label(t: Translator, minutes: list[int]) -> str:
    """`7d, 1d, 2h before`, or no reminders."""
    if not minutes:
        return t.gettext("no reminders")
    return t.gettext("{list} before").format(list=", ".join(offset_label(m) for m in minutes))


def _when(t: Translator, draft: MeetingDraft) -> str:
    start, end = draft.start_local(), draft.end
    assert end is not None
    return format_date(start.date(), "EEEE d MMMM y", locale=t.language) + f", {start:%H:%M}–{end:%H:%M}"


def preview_text(t: Translator, draft: MeetingDraft) -> str:
    """What will be planned, before it is."""
    assert draft.title is not None and draft.day is not None and draft.audience is not None
    lines = [
        "<b>" + t.gettext("Check the meeting") + "</b>",
        f"<b>{escape(draft.title)}</b>",
        t.gettext("When: {when}").format(when=escape(_when(t, draft))),
        t.gettext("Repeats: {repeat}").format(repeat=escape(repeat_label(t, draft.repeat or "none", draft.day))),
    ]
    if draft.location:
        lines.append(t.gettext("Where: {place}").format(place=escape(draft.location)))
    if draft.url:
        lines.append(t.gettext("Online: {url}").format(url=escape(draft.url)))
    lines.append(t.gettext("For: {who}").format(who=escape(draft.wijk_names or t.gettext("the whole region"))))
    lines.append(t.gettext("Invited: {who}").format(who=t.gettext(AUDIENCE_LABELS[draft.audience])))
    lines.append(t.gettext("Reminders: {list}").format(list=reminders_label(t, draft.reminders or [])))
    if draft.agenda:
        lines.append(t.gettext("Agenda:") + "\n" + escape(draft.agenda))
    return "\n".join(lines)


async def show_preview(update: Update, t: Translator, draft: MeetingDraft) -> int:
    markup = InlineKeyboardMarkup(
        [[step_button(t.gettext("✅ Plan and invite"), "send"), step_button(t.gettext("Cancel"), "abort")]]
    )
    await reply(update, preview_text(t, draft), markup)
    return CONFIRM


async def show_move_preview(update: Update, t: Translator, draft: MeetingDraft) -> int:
    assert draft.title is not None
    text = t.gettext("Move <b>{title}</b> to {when}? Everyone invited is told, with a new calendar file.").format(
        title=escape(draft.title), when=escape(_when(t, draft))
    )
    markup = InlineKeyboardMarkup(
        [[step_button(t.gettext("✅ Move"), "move"), step_button(t.gettext("Cancel"), "abort")]]
    )
    await reply(update, text, markup)
    return CONFIRM


# --- its buttons ---------------------------------------------------------------------------------------


async def abort(update: Update, context: BotContext, turn: Turn, draft: MeetingDraft, value: str) -> int:
    query = pressed(update)
    await query.answer()
    await remove_buttons(query)
    return await stop(update, context, turn.t)


async def send(update: Update, context: BotContext, turn: Turn, draft: MeetingDraft, value: str) -> int:
    """Plan it: checked again (who, what, when), saved with its invitations in one transaction."""
    query, t = pressed(update), turn.t
    if draft.moving is not None:
        return await wrong_button(query, t, CONFIRM)
    allowed = schedulable_wijk_ids(turn.member)
    if turn.member is None or allowed == [] or (allowed is not None and not set(draft.wijk_ids) <= set(allowed)):
        await query.answer(error_text(t, "not_allowed"), show_alert=True)
        return await stop(update, context, t, quiet=True)
    try:
        spec = draft.spec(now=turn.now, zone=t.zone)
        region = await turn.session.get(Region, turn.member.region_id)
        assert region is not None
        meeting = await create_meeting(
            turn.session, now=turn.now, region=region, author=turn.member, spec=spec, key=None
        )
    except MeetingError as exc:
        await query.answer(error_text(t, exc.code), show_alert=True)
        return CONFIRM
    queued = _hold_outbox(turn)
    await end_with_the_change(update, context, turn, name=NAME, draft_key=DRAFT)
    await turn.commit()
    try:
        await query.answer()
        await remove_buttons(query)
        text = t.gettext("Planned: <b>{title}</b>. The invitations go out eight weeks before each date (at once if "
                         "it is sooner). You are down as coming; /bijeenkomsten shows the answers.")  # fmt: skip
        await reply(update, text.format(title=escape(meeting.title)))
    finally:
        if queued:
            turn.kick_outbox()
    return await stop(update, context, t, quiet=True)


def _hold_outbox(turn: Turn) -> bool:
    """Take the outbox kick off the coming commit (True if there is something to send): the caller kicks it after
    its confirmation, so the organiser's own calendar file or notice follows the end of the form instead of
    landing before it."""
    return bool(turn.session.info.pop("outbox_written", False))


async def move(update: Update, context: BotContext, turn: Turn, draft: MeetingDraft, value: str) -> int:
    """Move the date: the invitees are told, with a new calendar file."""
    query, t = pressed(update), turn.t
    if draft.moving is None:
        return await wrong_button(query, t, CONFIRM)
    occurrence = await load_occurrence(turn.session, draft.moving)
    if occurrence is None or not may_manage(turn.member, occurrence.meeting):
        await query.answer(error_text(t, "not_allowed"), show_alert=True)
        return await stop(update, context, t, quiet=True)
    try:
        told = await move_occurrence(
            turn.session, now=turn.now, actor=turn.member, occurrence=occurrence, start_local=draft.start_local(),
            duration_minutes=draft.duration_minutes(),
        )  # fmt: skip
    except MeetingError as exc:
        await query.answer(error_text(t, exc.code), show_alert=True)
        return await stop(update, context, t, quiet=True)
    queued = _hold_outbox(turn)
    await end_with_the_change(update, context, turn, name=NAME, draft_key=DRAFT)
    await turn.commit()
    try:
        await query.answer()
        await remove_buttons(query)
        text = t.ngettext("Moved. {count} person invited is told.", "Moved. {count} people invited are told.", told)
        await reply(update, text.format(count=told))
    finally:
        if queued:
            turn.kick_outbox()
    return await stop(update, context, t, quiet=True)
