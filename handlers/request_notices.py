"""Rendering the notices about requests and offers, at send time, in the reader's language.

A notice whose request or offer has gone, or whose copy already shows the request as it is, renders to None
and is skipped rather than sent.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import N_, Translator
from bot.services.coordination import open_requests
from bot.services.members import find_member_by_id
from bot.services.notices import (
    Digest,
    OfferAccepted,
    OfferCardEdit,
    OfferDeclined,
    OfferFilledByOther,
    OfferReceived,
    OfferWithdrawn,
    RequestAlert,
    RequestCancelled,
    RequestCancelledBy,
    RequestGroup,
    RequestHandedOver,
    RequestNew,
    RequestRefresh,
    RequestStatusEdit,
    RequestSuperseded,
    RequestWidened,
)
from bot.services.offers import booked_slots, load_offer, offerable_slots, open_slots, own_offers
from bot.services.requests import CancelReason, count_asked, load_request, load_request_slots, waiting_copies
from db.models import (
    GroupPost,
    Offer,
    OfferStatus,
    RequestAlertMessage,
    RequestRecipient,
    RequestStatus,
    ShortageRequest,
)
from handlers.callback_data import Action, encode
from handlers.coordination import more_line, request_line
from handlers.editing import digest
from handlers.ladder_views import status_message, widened_text
from handlers.rendered import Rendered, Renderers, ToGroup, ToMember, for_group, for_member
from handlers.request_views import (
    REASON_LABELS,
    card_note,
    contact_line,
    filled_slots,
    group_view,
    offer_for_requester,
    offered_slots,
    person,
    practice_line,
    recipient_view,
    request_body,
)


def _head(t: Translator, request: ShortageRequest) -> str:
    """The line that says which request a message is about."""
    return t.gettext("Request #{id} from {practice}").format(id=request.id, practice=practice_line(t, request))


async def _copy(
    reader: ToMember, request: ShortageRequest, edit: int | None
) -> tuple[Rendered, RequestRecipient | None]:
    """The request as its copy for this reader shows it now, with the row's recipient (who may have declined)."""
    recipient = await reader.session.get(RequestRecipient, reader.recipient_id) if reader.recipient_id else None
    mine = await own_offers(reader.session, request.id, reader.member.id)
    booked = await booked_slots(reader.session, request, reader.member.id)
    text, markup = recipient_view(
        reader.t,
        request,
        mine,
        declined=bool(recipient and recipient.declined),
        offerable=offerable_slots(request, mine, reader.now, booked),
        booked=booked,
    )
    return Rendered(text, markup, edit, digest(text, markup)), recipient


async def render_new(reader: ToMember, notice: RequestNew) -> Rendered | None:
    """A fresh copy of a request; skipped when it closed before it went out (nobody should offer in vain)."""
    request = await load_request_slots(reader.session, notice.request_id)
    if request is None or request.status != RequestStatus.OPEN:
        return None
    rendered, _ = await _copy(reader, request, None)
    return rendered


async def render_refresh(reader: ToMember, notice: RequestRefresh) -> Rendered | None:
    """A delivered copy edited to the request as it is now; skipped when the copy already shows that."""
    request = await load_request_slots(reader.session, notice.request_id)
    if request is None:
        return None
    rendered, recipient = await _copy(reader, request, notice.message_id)
    if recipient is not None and recipient.rendered_digest == rendered.fingerprint:
        return None  # Telegram would refuse the edit
    return rendered


async def render_superseded(reader: ToMember, notice: RequestSuperseded) -> Rendered | None:
    """An older copy edited into a pointer to the fresh one below."""
    request = await load_request(reader.session, notice.request_id)
    if request is None:
        return None
    if notice.again:
        text = reader.t.gettext("Request #{id} is still open; it is below again.").format(id=request.id)
    else:
        text = reader.t.gettext("Request #{id} has changed; the new version is below.").format(id=request.id)
    return Rendered(text, None, notice.message_id)


async def render_group_post(reader: ToGroup, notice: RequestGroup) -> Rendered | None:
    """A request in a wijk group; skipped when the post already shows it."""
    post = await reader.session.get(GroupPost, notice.group_post_id)
    request = await load_request(reader.session, notice.request_id)
    if post is None or request is None:
        return None
    text, markup = group_view(reader.t, request, open_slots(request, reader.now))
    fingerprint = digest(text, markup)
    if post.rendered_digest == fingerprint:
        return None
    return Rendered(text, markup, notice.message_id, fingerprint, group_post_id=post.id)


async def render_status(reader: ToMember, notice: RequestStatusEdit) -> Rendered | None:
    """The requester's status message, edited to where the request stands; skipped when it shows that already."""
    request = await load_request_slots(reader.session, notice.request_id)
    if request is None or request.status_message_id != notice.message_id:
        return None  # gone, or handed over (the message is in another chat)
    waiting, until = await waiting_copies(reader.session, request.id, reader.now)
    asked = await count_asked(reader.session, request.id)
    text, markup = status_message(reader.t, request, asked, waiting, until)
    fingerprint = digest(text, markup)
    if request.status_digest == fingerprint:
        return None  # Telegram would refuse the edit
    return Rendered(text, markup, notice.message_id, fingerprint, status_request_id=request.id)


async def render_widened(reader: ToMember, notice: RequestWidened) -> Rendered | None:
    """To the requester: the ladder asked more widely by itself; skipped once the request is no longer open."""
    request = await load_request_slots(reader.session, notice.request_id)
    if request is None or request.status != RequestStatus.OPEN:
        return None
    return Rendered(widened_text(reader.t, request, notice.round_no))


DIGEST_LINES = 20  # the soonest open requests in the morning digest; the rest counted

ALERT_HEADS = {
    RequestStatus.OPEN: N_("Still open after the last round; the whole region is asked now:"),
    RequestStatus.FILLED: N_("Filled after all: nothing more to do for this request."),
    RequestStatus.CANCELLED: N_("Cancelled: nothing more to do for this request."),
    RequestStatus.CLOSED: N_("Closed: its last day-part has passed."),
}


async def render_alert(reader: ToMember, notice: RequestAlert) -> Rendered | None:
    """To a coordinator: the request is still open after the last round; later, that alert edited to where the
    request stands (skipped when it shows that already)."""
    request = await load_request(reader.session, notice.request_id)
    if request is None:
        return None
    if notice.message_id is None and request.status != RequestStatus.OPEN:
        return None  # filled or cancelled while the alert waited for the coordinator's morning
    alert = await reader.session.get(RequestAlertMessage, notice.alert_id) if notice.alert_id else None
    head = reader.t.gettext(ALERT_HEADS.get(request.status, ALERT_HEADS[RequestStatus.CLOSED]))
    text = head + "\n\n" + request_body(reader.t, request)
    fingerprint = digest(text, None)
    if notice.message_id is not None and (alert is None or alert.rendered_digest == fingerprint):
        return None  # Telegram would refuse the edit
    return Rendered(text, None, notice.message_id, fingerprint, alert_id=alert.id if alert else None)


async def render_handed_over(reader: ToMember, notice: RequestHandedOver) -> Rendered | None:
    """To the colleague who takes over a running request from someone who left."""
    request = await load_request(reader.session, notice.request_id)
    if request is None or request.status not in (RequestStatus.OPEN, RequestStatus.FILLED):
        return None
    text = reader.t.gettext(
        "Request #{id} is now yours: the colleague who posted it left Wijkhulp. New offers come to you; "
        "/mijnverzoeken shows it with the offers waiting."
    ).format(id=request.id)
    return Rendered(text + "\n\n" + request_body(reader.t, request))


async def _offer(reader: ToGroup, request_id: int, offer_id: int) -> tuple[ShortageRequest, Offer] | None:
    """The request (with its slots) and the offer a notice is about, or None when either has gone."""
    request = await load_request_slots(reader.session, request_id)
    offer = await load_offer(reader.session, request_id, offer_id) if request else None
    return None if request is None or offer is None else (request, offer)


async def render_cancelled(reader: ToMember, notice: RequestCancelled) -> Rendered | None:
    """To someone who offered: the request was cancelled, and why."""
    found = await _offer(reader, notice.request_id, notice.offer_id)
    if found is None:
        return None
    request, _ = found
    t = reader.t
    reason = CancelReason(request.cancel_reason) if request.cancel_reason else CancelReason.NOT_NEEDED
    line = t.gettext("This request was cancelled: {reason}.").format(reason=t.gettext(REASON_LABELS[reason]))
    return Rendered(_head(t, request) + "\n" + line)


async def render_cancelled_by(reader: ToMember, notice: RequestCancelledBy) -> Rendered | None:
    """To the requester: who else cancelled their request, and why."""
    request = await load_request_slots(reader.session, notice.request_id)
    actor = await find_member_by_id(reader.session, notice.actor_member_id)
    if request is None:
        return None
    t = reader.t
    reason = CancelReason(request.cancel_reason) if request.cancel_reason else CancelReason.NOT_NEEDED
    text = t.gettext("{name} cancelled your request #{id}: {reason}.").format(
        name=person(actor, t), id=request.id, reason=t.gettext(REASON_LABELS[reason])
    )
    return Rendered(text + "\n\n" + request_body(t, request))


async def render_received(reader: ToMember, notice: OfferReceived) -> Rendered | None:
    """To the requester: a new offer, with buttons to accept or decline it."""
    found = await _offer(reader, notice.request_id, notice.offer_id)
    if found is None:
        return None
    if found[1].status == OfferStatus.WITHDRAWN:
        return None  # withdrawn before its card went out: the requester hears that instead
    text, markup = offer_for_requester(reader.t, *found)
    return Rendered(text, markup, offer_card_id=found[1].id)


async def render_offer_card(reader: ToMember, notice: OfferCardEdit) -> Rendered | None:
    """The requester's card of an offer, edited to what became of the offer (decided elsewhere, withdrawn,
    lapsed): no live Accept for an offer that is gone."""
    found = await _offer(reader, notice.request_id, notice.offer_id)
    if found is None:
        return None
    request, offer = found
    decided_by = await find_member_by_id(reader.session, notice.decided_by) if notice.decided_by else None
    text, markup = offer_for_requester(reader.t, request, offer)
    return Rendered(text + card_note(reader.t, request, offer, decided_by), markup, notice.message_id)


async def render_accepted(reader: ToMember, notice: OfferAccepted) -> Rendered | None:
    """To the helper: accepted, for which day-parts, whom to contact, and a button to withdraw."""
    found = await _offer(reader, notice.request_id, notice.offer_id)
    if found is None:
        return None
    request, offer = found
    t = reader.t
    withdraw = InlineKeyboardMarkup(
        [[InlineKeyboardButton(t.gettext("Withdraw"), callback_data=encode(Action.WITHDRAW, offer.id))]]
    )
    lines = [
        "<b>" + t.gettext("Your offer was accepted") + "</b>",
        _head(t, request),
        filled_slots(t, request, offer),
        contact_line(t, request.created_by),
    ]
    return Rendered("\n".join(line for line in lines if line), withdraw)


async def render_filled_by_other(reader: ToMember, notice: OfferFilledByOther) -> Rendered | None:
    """To a helper: someone else fills what they offered."""
    found = await _offer(reader, notice.request_id, notice.offer_id)
    if found is None:
        return None
    if notice.booked_elsewhere:
        line = reader.t.gettext(
            "Your offer lapsed: you are booked at that time for another request now. Thank you for offering!"
        )
    else:
        line = reader.t.gettext("Someone else is already filling this. Thank you for offering!")
    return Rendered(_head(reader.t, found[0]) + "\n" + line)


async def render_declined(reader: ToMember, notice: OfferDeclined) -> Rendered | None:
    """To a helper: the practice declined their offer."""
    found = await _offer(reader, notice.request_id, notice.offer_id)
    if found is None:
        return None
    line = reader.t.gettext("The practice declined your offer, with thanks.")
    return Rendered(_head(reader.t, found[0]) + "\n" + line)


async def render_withdrawn(reader: ToMember, notice: OfferWithdrawn) -> Rendered | None:
    """To the requester: a helper withdrew, and which day-parts are open again if they had been booked."""
    found = await _offer(reader, notice.request_id, notice.offer_id)
    if found is None:
        return None
    request, offer = found
    t = reader.t
    who = person(offer.member, t)
    who = who[:1].upper() + who[1:]  # "a former member" opens the sentence; a mention starts with "<"
    if not notice.was_accepted:
        return Rendered(t.gettext("{name} withdrew their offer for request #{id}.").format(name=who, id=request.id))
    text = t.gettext("{name} withdrew from request #{id}; their day-parts are open again:").format(
        name=who, id=request.id
    )
    only = list(notice.slot_ids) if notice.slot_ids is not None else None
    return Rendered(text + "\n" + offered_slots(t, request, offer, only))


async def render_digest(reader: ToMember, notice: Digest) -> Rendered | None:
    """The coordinator's morning list of what is open in the region; skipped when nothing is."""
    listed = await open_requests(reader.session, region_id=notice.region_id, now=reader.now, limit=DIGEST_LINES)
    if not listed.requests:
        return None
    t = reader.t
    lines = ["<b>" + t.gettext("Open requests this morning") + "</b>"]
    lines += [request_line(t, request) for request in listed.requests]
    if listed.total > len(listed.requests):
        lines.append(more_line(t, listed.total - len(listed.requests)))
    lines.append(t.gettext("/open shows what needs attention."))
    return Rendered("\n".join(lines))


RENDERERS: Renderers = dict(
    [
        for_member(RequestNew, render_new),
        for_member(RequestRefresh, render_refresh),
        for_member(RequestSuperseded, render_superseded),
        for_group(RequestGroup, render_group_post),
        for_member(RequestStatusEdit, render_status),
        for_member(RequestWidened, render_widened),
        for_member(RequestAlert, render_alert),
        for_member(RequestHandedOver, render_handed_over),
        for_member(RequestCancelled, render_cancelled),
        for_member(RequestCancelledBy, render_cancelled_by),
        for_member(OfferReceived, render_received),
        for_member(OfferCardEdit, render_offer_card),
        for_member(OfferAccepted, render_accepted),
        for_member(OfferFilledByOther, render_filled_by_other),
        for_member(OfferDeclined, render_declined),
        for_member(OfferWithdrawn, render_withdrawn),
        for_member(Digest, render_digest),
    ]
)
