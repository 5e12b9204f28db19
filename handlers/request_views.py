"""How requests and offers look: text and buttons in the reader's language (HTML, everything escaped)."""

from __future__ import annotations

from html import escape

from babel.dates import format_date
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import N_, Translator
from bot.services.requests import FILLING_ROLES, CancelReason, NeededRole
from db.models import Daypart, Member, Offer, OfferStatus, RequestSlot, RequestStatus, Role, ShortageRequest, Urgency
from handlers.callback_data import Action, encode
from handlers.texts import member_name, role_label, roles_label

NEEDED_LABELS: dict[NeededRole, str] = {
    NeededRole.HUISARTS: N_("GP (waarneming)"),
    NeededRole.DOKTERSASSISTENT: N_("doctor's assistant"),
    NeededRole.POH_S: N_("practice nurse (POH-S)"),
    NeededRole.POH_GGZ: N_("mental-health practice nurse (POH-GGZ)"),
    NeededRole.TRIAGIST: N_("triage assistant"),
    NeededRole.MEDISCH_STUDENT: N_("medical student"),
    NeededRole.ANY_ASSISTANT: N_("any assistant (doctor's assistant, triage assistant or medical student)"),
}
DAYPART_LABELS: dict[Daypart, str] = {Daypart.OCHTEND: N_("morning"), Daypart.MIDDAG: N_("afternoon")}
REASON_LABELS: dict[CancelReason, str] = {
    CancelReason.SOLVED_INTERNALLY: N_("solved within the practice"),
    CancelReason.NOT_NEEDED: N_("no longer needed"),
    CancelReason.MISTAKE: N_("entered by mistake"),
    CancelReason.POSTER_LEFT: N_("the person who posted it left Wijkhulp"),
}
STATUS_LABELS: dict[RequestStatus, str] = {
    RequestStatus.OPEN: N_("open"),
    RequestStatus.FILLED: N_("filled"),
    RequestStatus.CANCELLED: N_("cancelled"),
    RequestStatus.CLOSED: N_("closed"),
}


def needed_label(t: Translator, role: str) -> str:
    """What the request asks for, in words."""
    return t.gettext(NEEDED_LABELS[NeededRole(role)])


def slot_label(t: Translator, slot: RequestSlot, *, short: bool = False) -> str:
    """`dinsdag 24 november 2026, ochtend (08:00–12:30)`, or `di 24 nov, ochtend` for buttons."""
    day = format_date(slot.day, "EEE d MMM" if short else "EEEE d MMMM y", locale=t.language)
    start = slot.start_at.astimezone(t.zone).strftime("%H:%M")
    end = slot.end_at.astimezone(t.zone).strftime("%H:%M")
    daypart = slot.daypart
    if daypart is Daypart.TIME:
        return f"{day}, {start}–{end}"
    part = t.gettext(DAYPART_LABELS[daypart])
    return f"{day}, {part}" if short else f"{day}, {part} ({start}–{end})"


def practice_line(t: Translator, request: ShortageRequest) -> str:
    """`Huisartsen Caberg (wijk Maastricht Noordwest)`, escaped."""
    return t.gettext("{practice} (wijk {wijk})").format(
        practice=escape(request.practice.name), wijk=escape(request.practice.wijk.name)
    )


def person(member: Member | None, t: Translator) -> str:
    """A member's name as a Telegram mention, so a tap opens the chat; escaped."""
    if member is None or member.deleted_at is not None:
        return t.gettext("a former member")
    name = escape(member_name(t, member))
    return f'<a href="tg://user?id={member.telegram_user_id}">{name}</a>'


def request_body(t: Translator, request: ShortageRequest, *, filled_by: bool = False) -> str:
    """The request as everyone sees it: who asks, for what, when, how urgent, the note, and what is filled."""
    urgent = request.urgency == Urgency.SPOED
    head = t.gettext("🆘 URGENT request #{id}") if urgent else t.gettext("Request #{id}")
    lines = [
        "<b>" + head.format(id=request.id) + "</b>",
        t.gettext("From: {practice}").format(practice=practice_line(t, request)),
        t.gettext("Needed: {role}").format(role=escape(needed_label(t, request.role_needed))),
    ]
    # Only the requester's view names the helpers; a copy shows "filled" from the slot alone (no offers loaded).
    offers = {offer.id: offer for offer in request.offers} if filled_by else {}
    for slot in request.slots:
        line = "• " + escape(slot_label(t, slot))
        if slot.filled_offer_id is not None:
            helper = offers.get(slot.filled_offer_id)
            line += " — " + (
                t.gettext("filled by {name}").format(name=person(helper.member if helper else None, t))
                if filled_by
                else t.gettext("filled")
            )
        lines.append(line)
    if request.note:
        lines.append(t.gettext("Note: {note}").format(note=escape(request.note)))
    status = request.status
    if status is not RequestStatus.OPEN:
        lines.append("<b>" + t.gettext("Status: {status}").format(status=t.gettext(STATUS_LABELS[status])) + "</b>")
    return "\n".join(lines)


def recipient_view(
    t: Translator,
    request: ShortageRequest,
    mine: list[Offer],
    *,
    declined: bool,
    offerable: list[RequestSlot],
    booked: list[RequestSlot] | None = None,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A recipient's copy: offer buttons while something is open that they have not answered yet. `mine` are
    the reader's own offers (services.offers.own_offers), `offerable` what they may still offer for
    (services.offers.offerable_slots), `booked` the open ones they are booked for elsewhere (not offered to them);
    the other offers are not needed."""
    text = request_body(t, request)
    if booked and request.status == RequestStatus.OPEN:
        text += (
            "\n\n<i>"
            + t.gettext("You are booked elsewhere at the same time on:")
            + "</i>\n"
            + offered_slots(t, request, None, [slot.id for slot in booked])
        )
    buttons: list[list[InlineKeyboardButton]] = []
    running = request.status == RequestStatus.OPEN
    for offer in mine:
        text += "\n\n" + offer_state_line(t, offer)
        if len(mine) > 1:
            text += "\n" + offered_slots(t, request, offer)
        if offer.status == OfferStatus.PENDING and running:
            # Changing one's mind before the practice decides: withdraw, and offer again from this copy.
            label = t.gettext("Withdraw my offer") if len(mine) == 1 else t.gettext("Withdraw my offer for {days}")
            label = label.format(days=_short_days(t, request, offer))
            buttons.append([InlineKeyboardButton(label, callback_data=encode(Action.WITHDRAW, offer.id))])
    if not running or not offerable:
        return text, InlineKeyboardMarkup(buttons) if buttons else None
    if declined:
        said = t.gettext("You said you cannot help on the added days.") if mine else None
        text += "\n\n" + (said or t.gettext("You said you cannot help with this one."))
        return text, InlineKeyboardMarkup(buttons) if buttons else None
    count = len(request.slots)
    if mine:  # days were added after their offer: they may offer for those too, and only those
        text += (
            "\n\n<b>"
            + t.gettext("Added since your offer:")
            + "</b>\n"
            + offered_slots(t, request, None, [slot.id for slot in offerable])
        )
        every = t.gettext("I can help on the added days too")
        cannot = t.gettext("Not on the added days")
    else:
        every, cannot = t.gettext("I can help with all of it"), t.gettext("I can't")
    buttons.append([InlineKeyboardButton(every, callback_data=encode(Action.OFFER_ALL, request.id, count))])
    if len(offerable) > 1:
        pick = t.gettext("Choose day-parts…")
        buttons.append([InlineKeyboardButton(pick, callback_data=encode(Action.OFFER_PICK, request.id, 0, count))])
    buttons.append([InlineKeyboardButton(cannot, callback_data=encode(Action.CANT, request.id))])
    return text, InlineKeyboardMarkup(buttons)


def _short_days(t: Translator, request: ShortageRequest, offer: Offer) -> str:
    """The day-parts of an offer in a few words, for a button."""
    ids = {row.slot_id for row in offer.slot_rows}
    labels = [slot_label(t, slot, short=True) for slot in request.slots if slot.id in ids]
    return (
        labels[0]
        if len(labels) == 1
        else t.ngettext("{count} day-part", "{count} day-parts", len(labels)).format(count=len(labels))
    )


def picker_markup(
    t: Translator, request: ShortageRequest, mask: int, now_open: list[RequestSlot]
) -> InlineKeyboardMarkup:
    """Toggle buttons for the open slots; the selection travels in the callback data as a bit mask over the
    slots in order, with the number of slots, so that a mask made before days were added is not misread."""
    rows = []
    for index, slot in enumerate(request.slots):
        if slot not in now_open:
            continue
        chosen = bool(mask & (1 << index))
        label = ("✅ " if chosen else "▫️ ") + slot_label(t, slot, short=True)
        rows.append(
            [
                InlineKeyboardButton(
                    label, callback_data=encode(Action.OFFER_PICK, request.id, mask ^ (1 << index), len(request.slots))
                )
            ]
        )
    count = bin(mask).count("1")
    rows.append(
        [
            InlineKeyboardButton(t.gettext("« Back"), callback_data=encode(Action.OFFER_BACK, request.id)),
            InlineKeyboardButton(
                t.gettext("Offer ({count})").format(count=count),
                callback_data=encode(Action.OFFER_SOME, request.id, mask, len(request.slots)),
            ),
        ]
    )
    return InlineKeyboardMarkup(rows)


def offer_state_line(t: Translator, offer: Offer) -> str:
    """What became of my offer."""
    labels = {
        OfferStatus.PENDING: N_("You offered to help; the practice will let you know."),
        OfferStatus.ACCEPTED: N_("Your offer was accepted."),
        OfferStatus.DECLINED: N_("Your offer was declined."),
        OfferStatus.MOOT: N_("Someone else is already filling what you offered."),
        OfferStatus.CANCELLED: N_("The request was cancelled."),
        OfferStatus.WITHDRAWN: N_("You withdrew your offer."),
    }
    return "<i>" + t.gettext(labels[offer.status]) + "</i>"


def offered_slots(t: Translator, request: ShortageRequest, offer: Offer | None, only: list[int] | None = None) -> str:
    """The slots an offer covers (or just `only` of them), one per line."""
    ids = {row.slot_id for row in offer.slot_rows} if offer is not None and only is None else set(only or [])
    return "\n".join("• " + escape(slot_label(t, slot)) for slot in request.slots if slot.id in ids)


def offer_for_requester(
    t: Translator, request: ShortageRequest, offer: Offer
) -> tuple[str, InlineKeyboardMarkup | None]:
    """An offer as the requester receives it, with Accept / Decline while it is pending."""
    helper = offer.member
    lines = ["<b>" + t.gettext("Offer for request #{id}").format(id=request.id) + "</b>"]
    if helper is None or helper.deleted_at is not None:
        lines.append(t.gettext("{who} can help on:").format(who=person(helper, t)))  # "a former member"
    else:
        where = escape(helper.practice.name) if helper.practice else t.gettext("student pool")
        # The role that fills the request (it matters for "any assistant"); all roles if none does any more.
        filling = FILLING_ROLES[NeededRole(request.role_needed)]
        fitting = [role for role in Role if role in helper.roles and role in filling]
        roles = ", ".join(role_label(t, role) for role in fitting) or roles_label(t, helper)
        who = t.gettext("{name}, {roles} ({where})").format(name=person(helper, t), roles=escape(roles), where=where)
        lines.append(t.gettext("{who} can help on:").format(who=who))
    lines.append(offered_slots(t, request, offer))
    if helper is not None and helper.deleted_at is None and helper.phone and helper.share_phone:
        lines.append(t.gettext("Phone: {phone}").format(phone=escape(helper.phone)))
    text = "\n".join(lines)
    if offer.status != OfferStatus.PENDING or request.status != RequestStatus.OPEN:
        return text, None
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t.gettext("Accept"), callback_data=encode(Action.ACCEPT, offer.id)),
                InlineKeyboardButton(t.gettext("Decline"), callback_data=encode(Action.DECLINE_OFFER, offer.id)),
            ]
        ]
    )
    return text, keyboard


CARD_NOTES: dict[OfferStatus, str] = {
    OfferStatus.DECLINED: N_("Declined."),
    OfferStatus.WITHDRAWN: N_("Withdrawn by the helper."),
    OfferStatus.MOOT: N_("Lapsed: what it covered is filled, or the helper is booked elsewhere then."),
    OfferStatus.CANCELLED: N_("The request was cancelled."),
}


def card_note(t: Translator, request: ShortageRequest, offer: Offer, decided_by: Member | None = None) -> str:
    """Under the requester's card of an offer: what became of it (HTML), and who decided when someone else did."""
    if offer.status == OfferStatus.ACCEPTED:
        note = "\n\n<b>" + t.gettext("Accepted for:") + "</b>\n" + filled_slots(t, request, offer)
        note += "\n" + contact_line(t, offer.member)
    elif offer.status in CARD_NOTES:
        note = "\n\n<i>" + t.gettext(CARD_NOTES[offer.status]) + "</i>"
    else:
        return ""
    if decided_by is not None:
        note += "\n" + t.gettext("Decided by {name}.").format(name=person(decided_by, t))
    return note


def contact_line(t: Translator, member: Member | None) -> str:
    """How to reach someone: their Telegram name, and their phone only if they chose to share it."""
    if member is None:
        return ""
    line = t.gettext("Contact: {name}").format(name=person(member, t))
    if member.phone and member.share_phone:
        line += ", " + t.gettext("phone {phone}").format(phone=escape(member.phone))
    return line


def filled_slots(t: Translator, request: ShortageRequest, offer: Offer) -> str:
    """The slots an accepted offer actually fills (it may have lost some in a race)."""
    return "\n".join("• " + escape(slot_label(t, slot)) for slot in request.slots if slot.filled_offer_id == offer.id)


def group_view(
    t: Translator, request: ShortageRequest, now_open: list[RequestSlot]
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A request as posted in a wijk group: for everyone there, offered to from there, edited as it changes.
    The group's own language is the region's default; presses answer each person privately."""
    text = request_body(t, request)
    if request.status != RequestStatus.OPEN or not now_open:
        return text, None
    buttons = [
        [
            InlineKeyboardButton(
                t.gettext("I can help with all of it"),
                callback_data=encode(Action.OFFER_ALL, request.id, len(request.slots)),
            )
        ]
    ]
    if len(now_open) > 1:
        label = t.gettext("Choose day-parts (in a private chat)")
        buttons.append(
            [InlineKeyboardButton(label, callback_data=encode(Action.OFFER_PICK, request.id, 0, len(request.slots)))]
        )
    return text, InlineKeyboardMarkup(buttons)
