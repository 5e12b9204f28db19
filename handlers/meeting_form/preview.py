"""`/bijeenkomst`'s last step: the preview, then plan and invite, or cancel; and the same for moving a date."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from html import escape

from babel.dates import format_date
from telegram import InlineKeyboardMarkup, Update

from bot.i18n import Translator
from bot.permissions import may_manage_meeting as may_manage
from bot.services.meeting_changes import Detail, change_audience, change_detail, move_occurrence
from bot.services.meetings import (
    MeetingError,
    create_meeting,
    load_meeting,
    load_occurrence,
    schedulable_wijk_ids,
)
from db.models import Region
from handlers.context import BotContext, Turn
from handlers.conversation import end_with_the_change, reply
from handlers.editing import remove_buttons
from handlers.meeting_form.base import DRAFT, NAME, pressed, step_button, stop, wrong_button
from handlers.meeting_form.draft import CONFIRM, MeetingDraft
from handlers.meeting_form.errors import error_text
from handlers.meeting_views import AUDIENCE_LABELS, repeat_label


def offset_words(t: Translator, minutes: int) -> str:
    """One reminder offset as the reader's language abbreviates it: `2 h` in English, `2 u` in Dutch."""
    days, rest = divmod(minutes, 24 * 60)
    if days and not rest:
        return t.gettext("{count} d").format(count=days)
    if minutes % 60 == 0:
        return t.gettext("{count} h").format(count=minutes // 60)
    return t.gettext("{count} min").format(count=minutes)


def reminders_label(t: Translator, minutes: list[int]) -> str:
    """`7 d, 1 d, 2 h before` (Dutch: `7 d, 1 d, 2 u van tevoren`), or no reminders."""
    if not minutes:
        return t.gettext("no reminders")
    return t.gettext("{list} before").format(list=", ".join(offset_words(t, m) for m in minutes))


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


async def next_or_change(
    update: Update, t: Translator, draft: MeetingDraft, ask: Callable[[Update, Translator], Awaitable[int]]
) -> int:
    """After an answer: the next question when planning; the preview of the change when changing one detail."""
    if draft.editing is None:
        return await ask(update, t)
    return await show_change_preview(update, t, draft)


async def show_change_preview(update: Update, t: Translator, draft: MeetingDraft) -> int:
    """The detail as it will be, with Apply / Cancel: every invitee of an upcoming date is told."""
    value = draft.changed_value()
    labels = {
        "title": t.gettext("New title: {value}"),
        "place": t.gettext("New place: {value}"),
        "link": t.gettext("New online link: {value}"),
        "agenda": t.gettext("New agenda: {value}"),
        "audience": t.gettext("Now for: {value}"),
    }
    if draft.editing_detail == "audience" and draft.audience is not None:
        value = t.gettext(AUDIENCE_LABELS[draft.audience])
    shown = escape(value) if value else t.gettext("(none)")
    text = labels.get(draft.editing_detail or "", "{value}").format(value=shown)
    if draft.editing_detail != "title" and draft.title:
        text = f"<b>{escape(draft.title)}</b>\n" + text
    if draft.editing_detail == "audience":
        text += "\n" + t.gettext(
            "Whoever is in it now is invited to the dates whose invitations went out; whoever is not any more is "
            "told so, with a calendar file that takes it out."
        )
    else:
        text += "\n" + t.gettext("Everyone invited to an upcoming date is told, with a new calendar file.")
    markup = InlineKeyboardMarkup(
        [[step_button(t.gettext("✅ Change"), "apply"), step_button(t.gettext("Cancel"), "abort")]]
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
    text = t.gettext("Planned: <b>{title}</b>. The invitations go out eight weeks before each date (at once if "
                     "it is sooner). You are down as coming; /bijeenkomsten shows the answers.")  # fmt: skip
    return await _confirm(update, context, turn, text.format(title=escape(meeting.title)))


async def _confirm(update: Update, context: BotContext, turn: Turn, text: str) -> int:
    """The change is made: end the form with it in one commit, then confirm. The outbox is kicked only after the
    confirmation (not at the commit), so the organiser's own calendar file or notice follows the end of the form
    instead of landing before it."""
    queued = bool(turn.session.info.pop("outbox_written", False))
    await end_with_the_change(update, context, turn, name=NAME, draft_key=DRAFT)
    await turn.commit()
    query = pressed(update)
    try:
        await query.answer()
        await remove_buttons(query)
        await reply(update, text)
    finally:
        if queued:
            turn.kick_outbox()
    return await stop(update, context, turn.t, quiet=True)


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
    text = t.ngettext("Moved. {count} person invited is told.", "Moved. {count} people invited are told.", told)
    return await _confirm(update, context, turn, text.format(count=told))


async def apply(update: Update, context: BotContext, turn: Turn, draft: MeetingDraft, value: str) -> int:
    """Change the detail: checked as when planning, every invitee of an upcoming date told."""
    query, t = pressed(update), turn.t
    if draft.editing is None or draft.editing_detail not in {*(d.value for d in Detail), "audience"}:
        return await wrong_button(query, t, CONFIRM)
    meeting = await load_meeting(turn.session, draft.editing)
    if meeting is None or not may_manage(turn.member, meeting):
        await query.answer(error_text(t, "not_allowed"), show_alert=True)
        return await stop(update, context, t, quiet=True)
    try:
        if draft.editing_detail == "audience" and draft.audience is not None:
            invited, uninvited = await change_audience(
                turn.session, now=turn.now, actor=turn.member, meeting=meeting, audience=draft.audience
            )
            text = t.gettext("Changed: {invited} invited, {uninvited} told it is not for them any more.").format(
                invited=invited, uninvited=uninvited
            )
        else:
            told = await change_detail(
                turn.session, now=turn.now, actor=turn.member, meeting=meeting, detail=Detail(draft.editing_detail),
                value=draft.changed_value(),
            )  # fmt: skip
            text = t.ngettext(
                "Changed. {count} invitation is updated.", "Changed. {count} invitations are updated.", told
            ).format(count=told)
    except MeetingError as exc:
        await query.answer(error_text(t, exc.code), show_alert=True)
        return await stop(update, context, t, quiet=True)
    return await _confirm(update, context, turn, text)
