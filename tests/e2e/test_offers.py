"""Offers and accepting: the whole exchange between a requester and the practices around her."""

from __future__ import annotations

from sqlalchemy import select

from db.models import Member, Offer, OfferStatus, RequestRecipient, RequestSlot, Role
from tests.e2e.requests_helpers import noordwest, post
from tests.harness import Harness


async def slot_fillers(bot: Harness, request_id: int) -> list[int | None]:
    async with bot.session() as session:
        rows = await session.scalars(
            select(RequestSlot).where(RequestSlot.request_id == request_id).order_by(RequestSlot.start_at)
        )
        return [row.filled_offer_id for row in rows]


async def test_offer_accept_and_every_notice(bot: Harness) -> None:
    people = await noordwest(bot)
    anna, bob, carol = people.anna, people.bob, people.carol
    request_id = await post(bot, anna, days=("Morgen",), dayparts=("Hele dag",))
    await bot.dispatch()
    bob_copy, carol_copy = bob.last(), carol.last()

    await bob.press(bob_copy, "Ik kan alles")
    assert "Dank je! Je aanbod is verstuurd" in (bob.callback_answers[-1].text or "")
    assert "Je hebt aangeboden te helpen" in bob.last().text and bob.last().button_texts == ["Aanbod intrekken"]
    # Carol shares her phone number: the card shows it (Bob's has none: he did not).
    await carol.send("/profiel")
    await carol.press(carol.last(), "Deel mijn telefoonnummer")
    await carol.share_contact("+31612345678")
    await carol.press(carol_copy, "Ik kan alles")
    await bot.dispatch()
    offers = [m for m in anna.messages() if m.text.startswith(f"Aanbod voor hulpvraag #{request_id}")]
    assert len(offers) == 2
    # With the role that fills the request (it matters for "any assistant").
    assert "Bob, doktersassistent (Huisartsenpraktijk Malberg) kan helpen op:" in offers[0].text
    assert "Telefoon" not in offers[0].text and "Telefoon: +31612345678" in offers[1].text
    assert offers[0].button_texts == ["Accepteren", "Afslaan"]
    stale_accept = offers[1].buttons[0][0].callback_data
    assert stale_accept is not None

    await anna.press(offers[0], "Accepteren")
    accepted = anna.messages()[-1] if anna.messages()[-1].message_id == offers[0].message_id else offers[0]
    assert accepted is not None
    await bot.dispatch()
    assert "Je aanbod is geaccepteerd" in bob.last().text
    assert "Contact: Anna" in bob.last().text
    assert bob.last().button_texts == ["Terugtrekken"]
    assert "al ingevuld door iemand anders" in carol.last().text
    carol_view = next(m for m in carol.messages() if m.message_id == carol_copy.message_id)
    assert "ingevuld" in carol_view.text and carol_view.buttons == []
    assert await slot_fillers(bot, request_id) == [1, 1]

    # The second offer is moot now: its card says so, without buttons; its old button answers politely and
    # changes nothing.
    assert offers[1].buttons == [] and "Vervallen" in offers[1].text
    await anna.press_data(offers[1], stale_accept)
    assert "al behandeld" in (anna.callback_answers[-1].text or "")
    assert await slot_fillers(bot, request_id) == [1, 1]


async def test_offer_for_part_of_the_slots(bot: Harness) -> None:
    people = await noordwest(bot)
    anna, bob, carol = people.anna, people.bob, people.carol
    request_id = await post(bot, anna, days=("Morgen",), dayparts=("Hele dag",))
    await bot.dispatch()
    await bob.press(bob.last(), "Dagdelen kiezen…")
    await bob.press(bob.last(), "▫️ di 24 nov, middag")
    assert "✅ di 24 nov, middag" in bob.last().button_texts
    await bob.press(bob.last(), "Aanbieden (1)")
    await bot.dispatch()
    offer = anna.last()
    assert "dinsdag 24 november 2026, middag" in offer.text and "ochtend" not in offer.text
    await anna.press(offer, "Accepteren")
    await bot.dispatch()
    assert await slot_fillers(bot, request_id) == [None, 1]
    carol_copy = carol.messages()[-1]
    assert "middag (13:00–17:30) — ingevuld" in carol_copy.text
    assert carol_copy.button_texts == ["Ik kan alles", "Kan niet"], "the morning is still open"


async def test_decline_withdraw_and_cant(bot: Harness) -> None:
    people = await noordwest(bot)
    anna, bob, carol = people.anna, people.bob, people.carol
    request_id = await post(bot, anna, days=("Morgen",), dayparts=("Ochtend",))
    await bot.dispatch()
    await carol.press(carol.last(), "Kan niet")
    assert "Je gaf aan hier niet te kunnen helpen" in carol.last().text
    bob_copy = bob.last()
    await bob.press(bob_copy, "Ik kan alles")
    await bot.dispatch()
    await anna.press(anna.last(), "Afslaan")
    await bot.dispatch()
    assert "heeft je aanbod afgeslagen" in bob.last().text
    # His copy follows: no "you offered" with a live withdraw button any more.
    assert "Je aanbod is afgeslagen." in bob_copy.text and bob_copy.buttons == []

    gert = bot.server.user(first_name="Gijs")
    await bot.join(gert, "daalhof", Role.DOKTERSASSISTENT)
    second = await post(bot, anna, days=("Morgen",), dayparts=("Middag",))
    await bot.dispatch()
    await bob.press(bob.last(), "Ik kan alles")
    await bot.dispatch()
    await anna.press(anna.last(), "Accepteren")
    await bot.dispatch()
    await bob.press(bob.last(), "Terugtrekken")
    await bot.dispatch()
    assert f"Bob heeft zich teruggetrokken voor hulpvraag #{second}" in anna.last().text
    assert await slot_fillers(bot, second) == [None]
    async with bot.session() as session:
        statuses = list(await session.scalars(select(Offer.status).order_by(Offer.id)))
    assert statuses == [OfferStatus.DECLINED, OfferStatus.WITHDRAWN]
    assert request_id != second


async def test_double_booking_is_refused(bot: Harness) -> None:
    people = await noordwest(bot)
    anna, bob = people.anna, people.bob
    manager = bot.server.user(first_name="Piet")
    await bot.join(manager, "pottenberg", Role.PRAKTIJKMANAGER)
    first = await post(bot, anna, days=("Morgen",), dayparts=("Ochtend",))
    second = await post(bot, manager, days=("Morgen",), dayparts=("10:00-12:00",))
    await bot.dispatch()
    copies = {m.text.split("\n")[0]: m for m in bob.messages() if "Hulpvraag #" in m.text}
    await bob.press(copies[f"Hulpvraag #{first}"], "Ik kan alles")
    await bob.press(copies[f"Hulpvraag #{second}"], "Ik kan alles")
    await bot.dispatch()
    await anna.press(next(m for m in anna.messages() if m.text.startswith("Aanbod")), "Accepteren")
    await manager.press(next(m for m in manager.messages() if m.text.startswith("Aanbod")), "Accepteren")
    assert "al ingeroosterd" in (manager.callback_answers[-1].text or "")
    assert await slot_fillers(bot, second) == [None]
    # His copy of #2 has no buttons any more; a replayed press is answered, and books nothing.
    await bob.press_data(copies[f"Hulpvraag #{second}"], f"v1:oa:{second}")
    assert "al ingeroosterd" in (bob.callback_answers[-1].text or "")
    assert await slot_fillers(bot, second) == [None]


async def test_forged_and_foreign_presses_change_nothing(bot: Harness) -> None:
    people = await noordwest(bot)
    anna, bob, frank, eva = people.anna, people.bob, people.frank, people.eva
    request_id = await post(bot, anna)
    await bot.dispatch()
    await bob.press(bob.last(), "Ik kan alles")
    await bot.dispatch()
    offer_message = anna.last()
    # Someone outside the wijk, someone of the own practice, and the helper himself try the requester's buttons.
    for intruder in (frank, eva, bob):
        await intruder.send("/help")
        for forged in (
            f"v1:oa:{request_id}",
            "v1:ac:1",
            "v1:ad:1",
            f"v1:cr:{request_id}:mistake",
            f"v1:os:{request_id}:999",
            "v1:ac:99999",
            "v0:ac:1",
            "v1:zz:1",
        ):
            await intruder.press_data(intruder.last(), forged)
    assert await slot_fillers(bot, request_id) == [None]
    await anna.press(offer_message, "Accepteren")
    assert await slot_fillers(bot, request_id) == [1]


async def test_a_pending_offer_can_be_withdrawn_from_the_copy_and_made_again(bot: Harness) -> None:
    people = await noordwest(bot)
    anna, bob = people.anna, people.bob
    request_id = await post(bot, anna, days=("Morgen",), dayparts=("Hele dag",))
    await bot.dispatch()
    copy = bob.last()
    await bob.press(copy, "Ik kan alles")
    await bot.dispatch()
    await bob.press(copy, "Aanbod intrekken")
    assert bob.callback_answers[-1].text == "Je hebt je teruggetrokken; de praktijk krijgt bericht."
    assert "Ik kan alles" in copy.button_texts, "the copy offers the buttons again"
    await bot.dispatch()
    assert anna.last().text == f"Bob heeft het aanbod voor hulpvraag #{request_id} ingetrokken."
    card = next(m for m in anna.messages() if m.text.startswith(f"Aanbod voor hulpvraag #{request_id}"))
    assert card.buttons == [] and "Ingetrokken door de helper." in card.text, "no live Accept for a withdrawn offer"
    await bob.press(copy, "Ik kan alles")  # and offers again
    assert "Dank je! Je aanbod is verstuurd" in (bob.callback_answers[-1].text or "")
    async with bot.session() as session:
        statuses = sorted(o.status.value for o in await session.scalars(select(Offer)))
    assert statuses == ["pending", "withdrawn"]


async def test_a_colleague_decides_from_the_list_and_the_requesters_card_follows(bot: Harness) -> None:
    people = await noordwest(bot)
    anna, bob, carol = people.anna, people.bob, people.carol
    henk = bot.server.user(first_name="Henk")
    await bot.join(henk, "caberg", Role.HUISARTS)  # a GP of Anna's practice may act for its requests
    request_id = await post(bot, anna, days=("Morgen",), dayparts=("Hele dag",))
    await bot.dispatch()
    await bob.press(bob.last(), "Ik kan alles")
    await carol.press(carol.last(), "Ik kan alles")
    await bot.dispatch()
    cards = [m for m in anna.messages() if m.text.startswith(f"Aanbod voor hulpvraag #{request_id}")]
    bob_card, carol_card = cards
    assert bob_card.button_texts == ["Accepteren", "Afslaan"]

    await henk.send("/mijnverzoeken")
    listing = henk.last()
    assert f"✓ Bob (#{request_id})" in listing.button_texts
    await henk.press(listing, f"✓ Bob (#{request_id})")
    assert henk.callback_answers[-1].text == "Gedaan."
    assert f"✓ Bob (#{request_id})" not in listing.button_texts, "the list shows the request as it is now"
    await bot.dispatch()
    assert bob_card.buttons == [] and "Geaccepteerd voor:" in bob_card.text and "Besloten door Henk." in bob_card.text
    assert "Je aanbod is geaccepteerd" in bob.last().text
    # Carol's offer lapsed (Bob fills it all): her card on Anna's side has no live Accept either.
    assert carol_card.buttons == [] and "Vervallen" in carol_card.text


async def test_a_helper_booked_for_some_of_the_days_is_told_and_offers_for_the_others(bot: Harness) -> None:
    people = await noordwest(bot)
    anna, bob = people.anna, people.bob
    manager = bot.server.user(first_name="Piet")
    await bot.join(manager, "pottenberg", Role.PRAKTIJKMANAGER)
    await post(bot, anna, days=("Morgen",), dayparts=("Ochtend",))
    await bot.dispatch()
    await bob.press(bob.last(), "Ik kan alles")
    await bot.dispatch()
    await anna.press(anna.last(), "Accepteren")
    await bot.dispatch()
    second = await post(bot, manager, days=("Morgen", "25-11"), dayparts=("Ochtend", "Ochtend"))
    await bot.dispatch()
    copy = next(m for m in reversed(bob.messages()) if m.text.startswith(f"Hulpvraag #{second}"))
    assert "Je bent op hetzelfde moment elders ingeroosterd op:\n• dinsdag 24 november 2026, ochtend" in copy.text
    assert copy.button_texts == ["Ik kan alles", "Kan niet"], "one day left to offer for: no picker"
    await bob.press(copy, "Ik kan alles")
    await bot.dispatch()
    card = manager.last()
    assert "woensdag 25 november" in card.text and "dinsdag 24 november" not in card.text


async def test_the_copy_after_an_offer_is_recorded_as_shown_only_once_it_is(bot: Harness) -> None:
    """The copy's new look is recorded in the offer's own transaction; an edit that then fails forgets it again,
    so the next change to the request edits the copy instead of taking it for shown."""
    people = await noordwest(bot)
    anna, bob, carol = people.anna, people.bob, people.carol
    request_id = await post(bot, anna, days=("Morgen",), dayparts=("Hele dag",))
    await bot.dispatch()

    await carol.press(carol.last(), "Ik kan alles")
    assert "Je hebt aangeboden te helpen" in carol.last().text
    bot.server.inject_fault("editMessageText", "500", times=1, chat_id=bob.id)
    await bob.press(bob.last(), "Ik kan alles")
    assert "Dank je! Je aanbod is verstuurd" in (bob.callback_answers[-1].text or "")
    copy = next(m for m in bob.messages() if m.text.startswith(f"Hulpvraag #{request_id}\n"))
    assert copy.button_texts[0] == "Ik kan alles"  # the edit failed: the copy still asks

    async with bot.session() as session:
        rows = await session.execute(
            select(Member.telegram_user_id, RequestRecipient.rendered_digest)
            .join(Member, Member.id == RequestRecipient.member_id)
            .where(RequestRecipient.request_id == request_id)
        )
        shown = {user_id: digest for user_id, digest in rows.all()}
    assert shown[bob.id] is None
    assert shown[carol.id] is not None
