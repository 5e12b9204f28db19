"""Wijk groups, the coordinator's /open with a nudge, and the daily digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from db.models import Offer, RequestSlot, ShortageRequest
from handlers.jobs import run_digests
from tests.e2e.requests_helpers import noordwest, post
from tests.e2e.test_press_cost import cost, differ
from tests.harness import Harness
from tgserver.client import SimUser


async def coordinator(bot: Harness) -> SimUser:
    cor = bot.server.user(first_name="Cor", language_code="nl")
    await bot.make_coordinator(cor)
    await cor.send("/start")
    return cor


async def test_a_wijk_group_gets_the_post_and_only_members_who_may_offer_count(bot: Harness) -> None:
    people = await noordwest(bot)
    cor = await coordinator(bot)
    stranger = bot.server.user(first_name="Stranger")
    group = bot.server.group(title="Wijk Noordwest", members=[cor, people.anna, people.bob, people.gert, stranger])
    await people.bob.send("/koppelgroep", chat=group)
    assert group.last().text == "Alleen een regionale coördinator kan een groep aan een wijk koppelen."
    await cor.send("/koppelgroep", chat=group)
    await people.bob.press(group.last(), "Maastricht Noordwest")
    assert "Alleen een regionale coördinator" in (people.bob.callback_answers[-1].text or "")
    await cor.press(group.last(), "Maastricht Noordwest")
    assert group.last().text.startswith("Deze groep is gekoppeld aan wijk Maastricht Noordwest")

    request_id = await post(bot, people.anna, days=("Morgen",), dayparts=("Hele dag",))
    await bot.dispatch()
    posted = group.last()
    assert posted.text.startswith(f"Hulpvraag #{request_id}\n")
    assert posted.button_texts == ["Ik kan alles", "Dagdelen kiezen (in een privéchat)"]
    for outsider in (people.gert, stranger, people.anna):
        await outsider.press(posted, "Ik kan alles")
        assert "Alleen leden die deze rol kunnen vervullen" in (outsider.callback_answers[-1].text or "")

    await people.bob.press(posted, "Ik kan alles")
    assert "Je aanbod is verstuurd" in (people.bob.callback_answers[-1].text or "")
    await bot.dispatch()
    await people.anna.press(people.anna.last(), "Accepteren")
    await bot.dispatch()
    edited = next(m for m in group.messages() if m.message_id == posted.message_id)
    assert "— ingevuld" in edited.text and "Status: ingevuld" in edited.text and edited.buttons == []

    await cor.send("/ontkoppelgroep", chat=group)
    assert "niet meer gekoppeld" in group.last().text
    before = len(group.messages())
    await post(bot, people.anna, days=("Morgen",), dayparts=("Ochtend",))
    await bot.dispatch()
    assert len(group.messages()) == before


async def test_choose_day_parts_from_a_group_continues_in_private(bot: Harness) -> None:
    people = await noordwest(bot)
    cor = await coordinator(bot)
    group = bot.server.group(title="Noordwest", members=[cor, people.dirk])
    await cor.send("/koppelgroep", chat=group)
    await cor.press(group.last(), "Maastricht Noordwest")
    await post(bot, people.anna, days=("Morgen",), dayparts=("Hele dag",))
    await bot.dispatch()
    await people.dirk.press(group.last(), "Dagdelen kiezen (in een privéchat)")
    assert "Dagdelen kiezen (in een privéchat)" not in (people.dirk.callback_answers[-1].text or "")
    assert "Alleen leden" in (people.dirk.callback_answers[-1].text or ""), "a triagist cannot fill a doktersassistent"


async def test_open_lists_unfilled_spoed_and_the_nudge_asks_again(bot: Harness) -> None:
    people = await noordwest(bot)
    cor = await coordinator(bot)
    await cor.send("/open")
    assert "Niets vraagt je aandacht" in cor.last().text
    request_id = await post(bot, people.anna, days=("Vandaag",), dayparts=("Middag",), urgency="Spoed")
    await bot.dispatch()
    await people.carol.press(people.carol.last(), "Kan niet")
    bot.clock.advance(minutes=31)
    await cor.send("/open")
    assert f"#{request_id}" in cor.last().text and "Huisartsen Caberg <&> Oud-Caberg" in cor.last().text
    await cor.press(cor.last(), f"Wijk opnieuw vragen (#{request_id})")
    assert cor.callback_answers[-1].text == "Opnieuw gestuurd naar 1 persoon."
    await bot.dispatch()
    assert [m.text for m in people.bob.messages()][-2:][
        0
    ] == "Hulpvraag #1 staat nog open; hij staat hieronder opnieuw."
    assert "hulpvraag #1\n" in people.bob.last().text.lower() and people.bob.last().buttons
    carol_copies = [m for m in people.carol.messages() if m.text.startswith("🆘 SPOED: hulpvraag #1")]
    assert len(carol_copies) == 1, "Carol said she could not; she is not asked again"
    await people.bob.send("/open")
    assert people.bob.last().text == "Alleen een regionale coördinator kan dit zien."
    await people.bob.press_data(people.bob.last(), f"v1:np:{request_id}")
    assert "Dat kun je (niet meer) doen" in (people.bob.callback_answers[-1].text or "")


async def test_the_daily_digest_goes_once_and_only_with_something_to_say(bot: Harness) -> None:
    people = await noordwest(bot)
    cor = await coordinator(bot)
    runtime = bot.app.bot_data["runtime"]
    bot.clock.current = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)  # 07:00 in Amsterdam: too early
    assert await run_digests(runtime) == []
    bot.clock.current = datetime(2026, 11, 24, 7, 1, tzinfo=UTC)  # 08:01
    assert await run_digests(runtime) == [1]
    await bot.dispatch()
    assert "Open hulpvragen vanochtend" not in cor.last().text, "nothing open: no digest"

    await post(bot, people.anna, days=("Morgen",), dayparts=("Ochtend",))
    bot.clock.current = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)  # Wednesday 08:00
    await post(bot, people.anna, days=("Morgen",), dayparts=("Middag",))
    assert await run_digests(runtime) == [1]
    assert await run_digests(runtime) == []
    await bot.dispatch()
    digest = cor.last().text
    assert digest.startswith("Open hulpvragen vanochtend")
    assert "#2 Huisartsen Caberg <&> Oud-Caberg – doktersassistent – do 26 nov" in digest


async def test_asking_again_at_night_waits_for_the_morning_for_a_normaal_request(bot: Harness) -> None:
    people = await noordwest(bot)
    cor = await coordinator(bot)
    request_id = await post(bot, people.anna, days=("25-11",), dayparts=("Middag",))
    await bot.dispatch()
    status = next(m for m in reversed(people.anna.messages()) if m.text.startswith(f"Hulpvraag #{request_id}"))
    for _ in range(3):  # to the last round: it shows in /open
        if status.buttons:
            await people.anna.press(status, f"Nu breder vragen (#{request_id})")
    bob_copies = len(people.bob.messages())
    bot.clock.current = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)  # Monday 23:00 in Amsterdam
    await cor.send("/open")
    await cor.press(cor.last(), f"Wijk opnieuw vragen (#{request_id})")
    await bot.dispatch()
    assert len(people.bob.messages()) == bob_copies, "not into Bob's night"
    bot.clock.current = datetime(2026, 11, 24, 6, 31, tzinfo=UTC)  # Tuesday 07:31
    await bot.dispatch()
    assert people.bob.messages()[-2].text == f"Hulpvraag #{request_id} staat nog open; hij staat hieronder opnieuw."


async def test_a_coordinator_cancels_from_open_and_the_requester_hears_who_and_why(bot: Harness) -> None:
    people = await noordwest(bot)
    cor = await coordinator(bot)
    request_id = await post(bot, people.anna, days=("Vandaag",), dayparts=("Middag",), urgency="Spoed")
    await bot.dispatch()
    status = next(m for m in reversed(people.anna.messages()) if m.text.startswith(f"Hulpvraag #{request_id}"))
    bot.clock.advance(minutes=31)
    await cor.send("/open")
    await cor.press(cor.last(), f"Annuleer #{request_id}")
    await cor.press(cor.last(), "niet meer nodig")
    await bot.dispatch()
    told = next(m for m in reversed(people.anna.messages()) if "geannuleerd" in m.text and m is not status)
    assert told.text.startswith(f"Cor heeft je hulpvraag #{request_id} geannuleerd: niet meer nodig.")
    assert status.text == f"Hulpvraag #{request_id} is geannuleerd." and status.buttons == []


async def test_days_added_reach_the_group_post_and_its_old_button_commits_nobody(bot: Harness) -> None:
    people = await noordwest(bot)
    cor = await coordinator(bot)
    anna, bob = people.anna, people.bob
    group = bot.server.group(title="Noordwest", members=[cor, bob])
    await cor.send("/koppelgroep", chat=group)
    await cor.press(group.last(), "Maastricht Noordwest")
    request_id = await post(bot, anna, days=("Morgen",), dayparts=("Ochtend",))
    await bot.dispatch()
    group_post = group.last()
    old_all = group_post.buttons[0][0].callback_data
    assert old_all is not None and "woensdag 25 november" not in group_post.text

    await anna.send("/mijnverzoeken")
    await anna.press(anna.last(), f"Dagen toevoegen aan #{request_id}")
    await anna.send("25-11")
    await anna.press(anna.last(), "Verder ›")
    await anna.press(anna.last(), "Middag")
    await anna.press(anna.last(), "✅ Toevoegen")
    await bot.dispatch()
    assert "woensdag 25 november 2026, middag" in group_post.text, "the post follows the request"
    await bob.press_data(group_post, old_all)  # a press from before the edit: for one day-part, not two
    assert "De dagen van deze hulpvraag zijn veranderd" in (bob.callback_answers[-1].text or "")
    async with bot.session() as session:
        assert await session.scalar(select(func.count()).select_from(Offer)) == 0


async def open_many(bot: Harness, request_id: int, count: int, *, last_round: bool) -> None:
    """`count` more open requests like `request_id` (its practice and author), each a day later than the one
    before, in the database directly: lists are about many, and posting each through the form takes long."""
    async with bot.session() as session:
        model = await session.get(ShortageRequest, request_id)
        assert model is not None
        first = (await session.scalars(select(RequestSlot).where(RequestSlot.request_id == request_id))).first()
        assert first is not None
        for number in range(1, count + 1):
            later = timedelta(days=number)
            session.add(
                ShortageRequest(
                    region_id=model.region_id,
                    practice_id=model.practice_id,
                    wijk_id=model.wijk_id,
                    created_by_member_id=model.created_by_member_id,
                    role_needed=model.role_needed,
                    urgency=model.urgency,
                    created_at=model.created_at,
                    ends_at=first.end_at + later,
                    round=4 if last_round else 1,
                    slots=[
                        RequestSlot(
                            day=first.day + later,
                            daypart=first.daypart,
                            start_at=first.start_at + later,
                            end_at=first.end_at + later,
                        )
                    ],
                )
            )


async def test_open_and_the_digest_show_the_soonest_and_count_the_rest_at_a_bounded_cost(bot: Harness) -> None:
    """/open lists 15 and the digest 20, the soonest first, and say how many more there are; with 25 more open
    requests they cost as many statements as with 5 (they load what they show, not the region's requests)."""
    people = await noordwest(bot)
    cor = await coordinator(bot)
    runtime = bot.app.bot_data["runtime"]
    request_id = await post(bot, people.anna, days=("Morgen",), dayparts=("Ochtend",))
    await bot.dispatch()
    await open_many(bot, request_id, 5, last_round=True)

    few = await cost(bot, lambda: cor.send("/open"))
    assert "En nog" not in cor.last().text
    await open_many(bot, request_id, 25, last_round=True)
    many = await cost(bot, lambda: cor.send("/open"))
    listed = cor.last().text
    assert len(few.statements) == len(many.statements), differ(few.statements, many.statements)
    # The 30 in their last round (the posted one is in its first): the 15 soonest to end, and the rest counted.
    assert listed.count("Ronde 4 van 4") == 15 and listed.endswith("En nog 15.")
    assert f"#{request_id + 15} " in listed and f"#{request_id + 16} " not in listed

    bot.clock.current = datetime(2026, 11, 24, 7, 1, tzinfo=UTC)  # 08:01 in Amsterdam
    assert await run_digests(runtime) == [1]
    await bot.dispatch()
    digest = cor.last().text
    assert digest.startswith("Open hulpvragen vanochtend")
    lines = [line for line in digest.split("\n") if line.startswith("#")]
    days = [(0, request_id)] + [(day, request_id + day) for day in range(1, 6)]
    days += [(day, request_id + 5 + day) for day in range(1, 26)]
    soonest = [number for _day, number in sorted(days)[:20]]  # by first day, then by number
    assert [int(line.split(" ")[0][1:]) for line in lines] == soonest
    assert "En nog 11." in digest
