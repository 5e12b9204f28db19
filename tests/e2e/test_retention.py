"""Retention: the free text of what is over is erased NOTES_RETENTION_DAYS (90) later, and nothing else."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.config import Settings
from bot.services.retention import Erased, erase_batch
from db.meetings import ActionPoint, Meeting
from db.models import RequestStatus, ShortageRequest
from handlers.context import RUNTIME_KEY
from handlers.jobs import close_finished_requests, run_retention
from tests.e2e.meetings_helpers import cast, plan, utc
from tests.e2e.requests_helpers import noordwest, post
from tests.harness import Harness
from tgserver.client import SimUser


async def notes(bot: Harness) -> dict[int, tuple[str, str | None]]:
    async with bot.session() as session:
        rows = await session.scalars(select(ShortageRequest))
        return {row.id: (row.status, row.note) for row in rows}


async def cancel(anna: SimUser, request_id: int) -> None:
    await anna.send("/mijnverzoeken")
    await anna.press(anna.last(), f"Annuleer #{request_id}")
    await anna.press(anna.last(), "niet meer nodig")


async def test_request_notes_are_erased_90_days_after_the_request_is_over(bot: Harness) -> None:
    people = await noordwest(bot)
    anna, bob = people.anna, people.bob
    start = bot.clock.now()
    cancelled = await post(bot, anna, note="Sleutel ligt bij de balie")
    also_cancelled = await post(bot, anna, days=("wo 25 nov",), note="Parkeren achter het gebouw")
    filled = await post(bot, anna, dayparts=("Hele dag",), note="Vraag naar Marij bij de balie")
    still_open = await post(bot, anna, days=("wo 25 nov",), note="Graag iemand met ervaring in triage")
    await bot.dispatch()
    await cancel(anna, cancelled)
    await cancel(anna, also_cancelled)
    offer_copy = next(m for m in reversed(bob.messages()) if f"#{filled}" in m.text and m.buttons)
    await bob.press(offer_copy, "Ik kan alles")
    await bot.dispatch()
    await anna.press(anna.last(), "Accepteren")
    runtime = bot.app.bot_data[RUNTIME_KEY]

    bot.clock.current = start + timedelta(days=89)
    assert await run_retention(runtime) == Erased()
    assert all(note for _, note in (await notes(bot)).values()), "nothing is erased before 90 days"

    bot.clock.current = start + timedelta(days=91)
    # Small batches: the sweep goes on until a batch comes back short.
    assert await run_retention(runtime, batch=1) == Erased(notes=2)
    found = await notes(bot)
    assert found[cancelled] == (RequestStatus.CANCELLED, None)
    assert found[also_cancelled] == (RequestStatus.CANCELLED, None)
    # A filled request counts from the end of its last slot (Tuesday 17:30), so it has a day to go.
    assert found[filled] == (RequestStatus.FILLED, "Vraag naar Marij bij de balie")
    # An open request keeps its note, however old (the close sweep is not run here, so it is still open).
    assert found[still_open] == (RequestStatus.OPEN, "Graag iemand met ervaring in triage")

    bot.clock.current = start + timedelta(days=92)
    assert await run_retention(runtime) == Erased(notes=1)
    assert (await notes(bot))[filled] == (RequestStatus.FILLED, None)
    assert await run_retention(runtime) == Erased(), "a second run erases nothing more"
    assert (await notes(bot))[still_open][1] == "Graag iemand met ervaring in triage"

    # The request itself stays for the figures, and its views still work without the note.
    await anna.send("/mijnverzoeken")
    assert "Vraag naar Marij" not in anna.last().text


async def test_a_request_closed_by_time_counts_from_its_closing(bot: Harness) -> None:
    people = await noordwest(bot)
    request_id = await post(bot, people.anna, note="Sleutel ligt bij de balie")
    runtime = bot.app.bot_data[RUNTIME_KEY]

    bot.clock.advance(days=2)
    assert await close_finished_requests(runtime) == [request_id]
    closed_at = bot.clock.now()
    bot.clock.current = closed_at + timedelta(days=90, seconds=-1)
    await run_retention(runtime)
    assert (await notes(bot))[request_id][1] == "Sleutel ligt bij de balie"
    bot.clock.current = closed_at + timedelta(days=90)
    await run_retention(runtime)
    assert (await notes(bot))[request_id] == (RequestStatus.CLOSED, None)


async def test_agendas_and_done_action_points_are_erased_after_90_days(bot: Harness) -> None:
    everyone = await cast(bot)
    corrie, people = everyone.corrie, everyone.people
    await plan(bot, corrie)  # di 15 dec 2026, 19:00-21:00
    await bot.dispatch()
    bot.clock.current = utc(2026, 12, 15, 19, 30)
    for text in ("Rooster kerst rondsturen", "Griepprik navragen"):
        await corrie.send("/bijeenkomsten")
        await corrie.press(corrie.last(), "15 dec: Wijkoverleg Noordwest")
        await corrie.press(corrie.last(), "Actiepunt toevoegen")
        await corrie.send(text)
        await corrie.press(corrie.last(), "Huisartsenpraktijk Malberg")
        await corrie.press(corrie.last(), "De praktijk als geheel")
        await corrie.send("31-12")
    await bot.dispatch()
    done = next(m for m in people.gert.messages() if "Rooster kerst" in m.text and m.buttons)
    await people.gert.press(done, "Markeer als klaar")
    runtime = bot.app.bot_data[RUNTIME_KEY]

    bot.clock.current = utc(2027, 3, 14, 20, 0)  # 89 days after the meeting ended and the point was done
    assert await run_retention(runtime) == Erased()
    bot.clock.current = utc(2027, 3, 16, 21, 0)
    assert await run_retention(runtime) == Erased(agendas=1, actions=1)
    async with bot.session() as session:
        meeting = (await session.scalars(select(Meeting))).one()
        assert meeting.agenda is None and meeting.title == "Wijkoverleg Noordwest"
        points = {point.text for point in await session.scalars(select(ActionPoint))}
    assert points == {"", "Griepprik navragen"}, "an open action point keeps its text"
    await people.gert.send("/actiepunten")
    assert "Griepprik navragen" in people.gert.last().text


async def test_the_period_is_a_setting_and_the_sweep_is_scheduled(bot: Harness) -> None:
    people = await noordwest(bot)
    request_id = await post(bot, people.anna, note="Sleutel ligt bij de balie")
    await cancel(people.anna, request_id)
    assert bot.app.job_queue is not None
    assert "retention" in {job.name for job in bot.app.job_queue.jobs()}
    bot.clock.advance(days=8)
    async with bot.session() as session:
        assert await erase_batch(session, now=bot.clock.now(), days=10) == Erased()
        assert await erase_batch(session, now=bot.clock.now(), days=7) == Erased(notes=1)
    assert (await notes(bot))[request_id] == (RequestStatus.CANCELLED, None)
    assert Settings(_env_file=None).notes_retention_days == 90  # type: ignore[call-arg]
