"""`/bijeenkomst` steps: for which wijken (or the whole region), and the title."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot.i18n import Translator
from bot.services.meetings import MeetingError, schedulable_wijk_ids
from bot.services.network import active_wijken
from db.models import Wijk
from handlers.context import BotContext, Turn, open_turn
from handlers.conversation import reply
from handlers.editing import remove_buttons
from handlers.entry import Press
from handlers.meeting_form.base import keep, load, parse_step, step_button, step_press, today, wrong_button
from handlers.meeting_form.draft import TITLE, WIJK
from handlers.meeting_form.errors import error_text
from handlers.meeting_form.preview import next_or_change
from handlers.meeting_form.when import ask_date

# --- the wijken ----------------------------------------------------------------------------------------


async def plannable_wijken(turn: Turn) -> list[Wijk]:
    """The wijken this person may plan for."""
    allowed = schedulable_wijk_ids(turn.member)
    if turn.member is None or allowed == []:
        return []
    wijken = await active_wijken(turn.session, turn.member.region_id)
    return wijken if allowed is None else [w for w in wijken if w.id in allowed]


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


@step_press
async def choose_wijk(press: Press[None]) -> int:
    """Toggle a wijk, take the whole region, or go on."""
    query, t, context = press.query, press.t, press.context
    step, value = parse_step(press.data)
    draft = load(context)
    wijken = await plannable_wijken(press.turn)
    names = {w.id: w.name for w in wijken}
    if step == "w" and value in {str(i) for i in names}:
        await query.answer()
        draft.toggle_wijk(int(value))
        keep(context, draft)
        await query.edit_message_reply_markup(wijk_markup(t, wijken, draft.wijk_ids))
        return WIJK
    try:
        if step == "region" and schedulable_wijk_ids(press.member) is None:
            draft.take_whole_region()
        elif step == "wdone":
            draft.confirm_wijken(names)
        else:
            return await wrong_button(query, t, WIJK)
    except MeetingError:
        await query.answer(t.gettext("Choose at least one wijk, or the whole region."), show_alert=True)
        return WIJK
    await query.answer()
    await remove_buttons(query)
    keep(context, draft)
    return await ask_title(press.update, t)


# --- the title -----------------------------------------------------------------------------------------


async def ask_title(update: Update, t: Translator) -> int:
    await reply(update, t.gettext("<b>Title?</b> For example: Wijkoverleg Noordwest, spring."))
    return TITLE


async def type_title(update: Update, context: BotContext) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    async with open_turn(update, context) as turn:
        draft = load(context)
        try:
            draft.type_title(message.text, today(turn))
        except MeetingError as exc:
            await reply(update, error_text(turn.t, exc.code))
            return TITLE
        keep(context, draft)
        return await next_or_change(update, turn.t, draft, ask_date)
