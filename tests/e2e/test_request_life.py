"""Following up: /mijnverzoeken, cancelling with a reason, and closing when the last slot has passed."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from db.models import Offer, OfferSlot, RequestSlot, RequestStatus, ShortageRequest
from handlers.jobs import close_finished_requests
from tests.e2e.requests_helpers import noordwest, post
from tests.harness import Harness


async def status_of(bot: Harness, request_id: int) -> str | None:
    async with bot.session() as session:
        return await session.scalar(select(ShortageRequest.status).where(ShortageRequest.id == request_id))


async def test_my_requests_shows_status_offers_and_who_fills_what(bot: Harness) -> None:
    people = await noordwest(bot)
    anna, bob, carol = people.anna, people.bob, people.carol
    await anna.send("/mijnverzoeken")
    assert "geen open of recente hulpvragen" in anna.last().text
    first = await post(bot, anna, days=("Morgen",), dayparts=("Hele dag",))
    await bot.dispatch()
    await bob.press(bob.last(), "Dagdelen kiezen…")
    await bob.press(bob.last(), "▫️ di 24 nov, ochtend")
    await bob.press(bob.last(), "Aanbieden (1)")
    await carol.press(carol.last(), "Ik kan alles")
    await bot.dispatch()
    await anna.press(next(m for m in anna.messages() if m.text.startswith("Aanbod") and "Bob" in m.text), "Accepteren")
    await bot.dispatch()  # the notices the accept sends to Anna too, before her overview is asked for
    await anna.send("/myrequests")
    overview = anna.last()
    assert f"Hulpvraag #{first}" in overview.text
    assert "ochtend (08:00–12:30) — ingevuld door Bob" in overview.text
    assert "Aanbiedingen die op je antwoord wachten:\nCarol" in overview.text
    assert overview.button_texts == [
        f"✓ Carol (#{first})",
        "Afslaan",
        f"Nu breder vragen (#{first})",
        f"Dagen toevoegen aan #{first}",
        f"Annuleer #{first}",
    ]
    await people.bob.send("/mijnverzoeken")
    assert "Alleen praktijkmanagers en huisartsen" in people.bob.last().text


async def test_cancel_with_a_reason_tells_everyone_who_offered(bot: Harness) -> None:
    people = await noordwest(bot)
    anna, bob, carol = people.anna, people.bob, people.carol
    request_id = await post(bot, anna, days=("Morgen",), dayparts=("Hele dag",))
    await bot.dispatch()
    carol_copy = carol.last()
    await bob.press(bob.last(), "Dagdelen kiezen…")
    await bob.press(bob.last(), "▫️ di 24 nov, middag")
    await bob.press(bob.last(), "Aanbieden (1)")
    await bot.dispatch()
    await anna.press(anna.last(), "Accepteren")
    await anna.send("/mijnverzoeken")
    await anna.press(anna.last(), f"Annuleer #{request_id}")
    assert f"Waarom annuleer je hulpvraag #{request_id}?" in anna.last().text
    await anna.press(anna.last(), "binnen de praktijk opgelost")
    assert anna.last().text == (
        f"Hulpvraag #{request_id} is geannuleerd (binnen de praktijk opgelost). Wie aanbood, krijgt bericht."
    )
    await bot.dispatch()
    assert "Deze hulpvraag is geannuleerd: binnen de praktijk opgelost." in bob.last().text
    carol_view = next(m for m in carol.messages() if m.message_id == carol_copy.message_id)
    assert "Status: geannuleerd" in carol_view.text and carol_view.buttons == []
    assert await status_of(bot, request_id) == RequestStatus.CANCELLED
    # A replayed press on the old copy or a second cancel changes nothing.
    await carol.press_data(carol_view, f"v1:oa:{request_id}")
    assert "staat niet meer open" in (carol.callback_answers[-1].text or "")
    await anna.press_data(anna.last(), f"v1:cr:{request_id}:mistake")
    assert "staat niet meer open" in (anna.callback_answers[-1].text or "")


async def test_a_request_closes_by_itself_after_its_last_slot(bot: Harness) -> None:
    people = await noordwest(bot)
    request_id = await post(bot, people.anna, days=("Morgen",), dayparts=("Ochtend",))
    await bot.dispatch()
    copy = people.bob.last()
    assert await close_finished_requests(bot.app.bot_data["runtime"]) == []
    bot.clock.advance(days=1, hours=4)  # Tuesday 14:00, the morning is over
    assert await close_finished_requests(bot.app.bot_data["runtime"]) == [request_id]
    await bot.dispatch()
    assert await status_of(bot, request_id) == RequestStatus.CLOSED
    closed_view = next(m for m in people.bob.messages() if m.message_id == copy.message_id)
    assert "Status: gesloten" in closed_view.text and closed_view.buttons == []
    await people.bob.press_data(closed_view, f"v1:oa:{request_id}")
    assert "staat niet meer open" in (people.bob.callback_answers[-1].text or "")


async def test_add_days_to_a_running_request(bot: Harness) -> None:
    people = await noordwest(bot)
    anna, bob, carol = people.anna, people.bob, people.carol
    request_id = await post(bot, anna, days=("Morgen",), dayparts=("Ochtend",))
    await bot.dispatch()
    await carol.press(carol.last(), "Kan niet")
    await bob.press(bob.last(), "Ik kan alles")
    await bot.dispatch()
    await anna.press(anna.last(), "Accepteren")
    await anna.send("/mijnverzoeken")
    await anna.press(anna.last(), f"Dagen toevoegen aan #{request_id}")
    await anna.send("24-11")
    await anna.press(anna.last(), "Verder ›")
    await anna.press(anna.last(), "Ochtend")
    assert anna.last().text.startswith(f"Toevoegen aan hulpvraag #{request_id}:")
    await anna.press(anna.last(), "✅ Toevoegen")
    assert "overlappen" in (anna.callback_answers[-1].text or ""), "the morning of the 24th is already asked"
    await anna.press(anna.last(), "Annuleren")

    await anna.send("/mijnverzoeken")
    await anna.press(anna.last(), f"Dagen toevoegen aan #{request_id}")
    assert anna.last().text.startswith("Welke dagen? (1/2)"), "adding days has two steps, not five"
    await anna.send("25-11")
    await anna.press(anna.last(), "Verder ›")
    assert "(2/2)" in anna.last().text
    await anna.press(anna.last(), "Middag")
    await anna.press(anna.last(), "✅ Toevoegen")
    assert f"De dagen zijn toegevoegd aan hulpvraag #{request_id}; 2 mensen worden opnieuw gevraagd." in (
        anna.last().text
    )
    await bot.dispatch()
    fresh = carol.last()
    assert "woensdag 25 november 2026, middag (13:00–17:30)" in fresh.text
    assert fresh.button_texts == ["Ik kan alles", "Kan niet"], "Carol could not on the 24th, but may on the 25th"
    await carol.press(fresh, "Ik kan alles")
    await bot.dispatch()
    offer = anna.last()
    assert "Carol" in offer.text and "woensdag 25 november" in offer.text and "dinsdag" not in offer.text


async def test_a_helper_who_offered_may_offer_for_days_added_since_and_only_those(bot: Harness) -> None:
    people = await noordwest(bot)
    anna, bob = people.anna, people.bob
    request_id = await post(bot, anna, days=("Morgen",), dayparts=("Ochtend",))
    await bot.dispatch()
    first_copy = bob.last()
    await bob.press(first_copy, "Ik kan alles")
    await bot.dispatch()
    await anna.send("/mijnverzoeken")
    await anna.press(anna.last(), f"Dagen toevoegen aan #{request_id}")
    await anna.send("25-11")
    await anna.press(anna.last(), "Verder ›")
    await anna.press(anna.last(), "Middag")
    await anna.press(anna.last(), "✅ Toevoegen")
    await bot.dispatch()

    fresh = bob.last()
    assert "Je hebt aangeboden te helpen" in fresh.text
    assert "Toegevoegd na je aanbod:" in fresh.text and "woensdag 25 november 2026, middag" in fresh.text
    assert fresh.button_texts == ["Aanbod intrekken", "Ik kan ook op de nieuwe dagen", "Niet op de nieuwe dagen"]
    await bob.press(fresh, "Ik kan ook op de nieuwe dagen")
    assert "Dank je!" in (bob.callback_answers[-1].text or "")
    await bot.dispatch()
    card = anna.last()
    assert "Bob" in card.text and "woensdag 25 november" in card.text and "dinsdag 24 november" not in card.text
    assert "Accepteren" in card.button_texts
    async with bot.session() as session:
        offers = list(await session.scalars(select(Offer).where(Offer.request_id == request_id).order_by(Offer.id)))
        assert len(offers) == 2
        slots = {s.id: s.day.isoformat() for s in await session.scalars(select(RequestSlot))}
        second = await session.scalars(select(OfferSlot.slot_id).where(OfferSlot.offer_id == offers[1].id))
        assert [slots[slot_id] for slot_id in second] == ["2026-11-25"], "only the added day, not the first again"

    after = bob.last()
    assert after.text.count("Je hebt aangeboden te helpen") == 2, "one line per offer, each with its days"
    assert after.button_texts == [
        "Mijn aanbod voor di 24 nov, ochtend intrekken",
        "Mijn aanbod voor wo 25 nov, middag intrekken",
    ]
    await bob.press_data(first_copy, f"v1:oa:{request_id}:1")  # the first copy's old button, replayed
    assert "zijn gewijzigd" in (bob.callback_answers[-1].text or "")
    await bob.press_data(after, f"v1:oa:{request_id}:2")  # "all of it" for today's days, forged
    assert "al aangeboden" in (bob.callback_answers[-1].text or "")
    async with bot.session() as session:
        assert await session.scalar(select(func.count(Offer.id))) == 2


async def test_days_added_to_an_urgent_request_must_be_urgent_too_and_old_buttons_do_not_cover_them(
    bot: Harness,
) -> None:
    people = await noordwest(bot)
    anna, bob = people.anna, people.bob
    request_id = await post(bot, anna, days=("Morgen",), dayparts=("Ochtend",), urgency="Spoed")
    await bot.dispatch()
    copy = bob.last()
    await anna.send("/mijnverzoeken")
    await anna.press(anna.last(), f"Dagen toevoegen aan #{request_id}")
    await anna.send("27-11")
    await anna.press(anna.last(), "Verder ›")
    await anna.press(anna.last(), "Ochtend")
    await anna.press(anna.last(), "✅ Toevoegen")
    refusal = anna.callback_answers[-1].text or ""
    assert "Voeg latere dagen toe in een nieuwe, normale hulpvraag" in refusal and "Kies Normaal" not in refusal
    await anna.press(anna.last(), "Annuleren")

    await anna.send("/mijnverzoeken")
    await anna.press(anna.last(), f"Dagen toevoegen aan #{request_id}")
    await anna.press(anna.last(), re.compile("^Vandaag"))
    await anna.press(anna.last(), "Verder ›")
    await anna.press(anna.last(), "Middag")
    await anna.press(anna.last(), "✅ Toevoegen")
    await bob.press_data(copy, f"v1:oa:{request_id}")  # an "all" button from before buttons carried the count
    assert "zijn gewijzigd" in (bob.callback_answers[-1].text or "")
    async with bot.session() as session:
        assert await session.scalar(select(func.count(Offer.id))) == 0
