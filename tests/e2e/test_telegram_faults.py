"""Telegram storms (429 floods, 5xx bursts, dropped connections; random but seeded) during a big fan-out, the
ladder's rounds, meeting reminders and the notices after an accept: once the storm is over, every intended
recipient has exactly one copy, nobody two, and each chat got its messages in the order they were written."""

from __future__ import annotations

import logging
import re

import httpx
import pytest
from telegram.error import NetworkError, TimedOut

from db.models import OutboxStatus, Role
from handlers.context import RUNTIME_KEY
from handlers.dispatch import _maybe_delivered
from handlers.jobs import run_due_escalations
from handlers.meeting_jobs import run_meeting_sweep
from tests.e2e.meetings_helpers import NOORDWEST, cast, invitations, plan, reminders, utc
from tests.e2e.requests_helpers import noordwest, post
from tests.e2e.storm import crowd, no_kicks, ride_out, start_storm, starting, statuses
from tests.harness import Harness
from tgserver.client import SimUser

DA = Role.DOKTERSASSISTENT
DUE_7D, DUE_1D = utc(2026, 12, 8, 18, 0), utc(2026, 12, 14, 18, 0)


def copies(user: SimUser, request_id: int) -> int:
    return len(starting(user, f"Hulpvraag #{request_id}\n"))


def position(user: SimUser, prefix: str) -> list[int]:
    """Where in the chat the messages starting with `prefix` are."""
    return [index for index, message in enumerate(user.messages()) if message.text.startswith(prefix)]


async def test_a_fan_out_to_many_survives_a_storm(bot: Harness) -> None:
    people = await noordwest(bot)
    helpers = await crowd(bot, {"malberg": 12, "pottenberg": 12, "daalhof": 12}, DA)
    reached = [people.bob, people.carol, *helpers]
    storm = start_storm(bot, reached, seed=6)
    with no_kicks(bot):
        request_id = await post(bot, people.anna)
    assert all(copies(person, request_id) == 0 for person in reached)

    await ride_out(bot, storm)
    assert {person.first_name: copies(person, request_id) for person in reached} == {
        person.first_name: 1 for person in reached
    }
    assert storm.served["429"] >= 10 and storm.served["500"] + storm.served["502"] >= 5 and storm.served["drop"] >= 3
    assert all(copy.button_texts[0] == "Ik kan alles" for p in reached for copy in starting(p, "Hulpvraag #"))
    assert copies(people.eva, request_id) == copies(people.dirk, request_id) == copies(people.frank, request_id) == 0
    assert set(await statuses(bot)) == {OutboxStatus.SENT}


async def test_every_round_of_the_ladder_survives_a_storm(bot: Harness) -> None:
    people = await noordwest(bot)
    wijk = [people.bob, people.carol, *await crowd(bot, {"malberg": 5, "pottenberg": 5}, DA)]
    adjacent = await crowd(bot, {"wyck": 5, "amby": 5}, DA, reach="adjacent")
    region = await crowd(bot, {"mariaberg": 5, "heer": 5}, DA, reach="region")
    corrie = bot.server.user(first_name="Corrie", language_code="nl")
    await bot.make_coordinator(corrie)
    await corrie.send("/start")
    storm = start_storm(bot, [*wijk, *adjacent, *region, corrie], seed=7)
    runtime = bot.app.bot_data[RUNTIME_KEY]

    with no_kicks(bot):
        request_id = await post(bot, people.anna)
    await ride_out(bot, storm)
    assert [copies(p, request_id) for p in wijk] == [1] * len(wijk)
    assert [copies(p, request_id) for p in adjacent + region] == [0] * (len(adjacent) + len(region))

    for asked in (adjacent, region):
        bot.clock.advance(minutes=241)
        with no_kicks(bot):
            await run_due_escalations(runtime)  # the JobQueue's sweep may have started it already: fine
        await ride_out(bot, storm)
        assert [copies(p, request_id) for p in asked] == [1] * len(asked)
    everyone = wijk + adjacent + region
    assert [copies(p, request_id) for p in everyone] == [1] * len(everyone), "nobody asked twice"
    assert len(starting(corrie, "Na de laatste ronde nog open")) == 1
    assert sum(storm.served.values()) >= 20
    assert set(await statuses(bot)) == {OutboxStatus.SENT}


async def test_meeting_invitations_and_reminders_survive_429s_and_5xx(bot: Harness) -> None:
    everyone = await cast(bot)
    helpers = await crowd(bot, {"malberg": 6, "pottenberg": 6}, DA)
    invitees = [everyone.get(name) for name in (*NOORDWEST, "corrie")] + helpers
    storm = start_storm(bot, invitees, seed=8, drops=0.0)
    with no_kicks(bot):
        await plan(bot, everyone.corrie)
    await ride_out(bot, storm)
    # Corrie organises it: she is down as coming, with its calendar file and no invitation asking her.
    assert [len(invitations(p)) for p in invitees] == [int(p is not everyone.corrie) for p in invitees]

    for due, expected in ((DUE_7D, 1), (DUE_1D, 2)):
        bot.clock.current = due
        with no_kicks(bot):
            await run_meeting_sweep(bot.app.bot_data[RUNTIME_KEY])
        await ride_out(bot, storm)
        assert [len(reminders(p)) for p in invitees] == [expected] * len(invitees)
    for person in invitees:  # the invitation first, then the reminders
        assert position(person, "📅 Uitnodiging") < position(person, "⏰ Herinnering"), person
    assert storm.served["429"] and storm.served["500"] + storm.served["502"]
    assert set(await statuses(bot)) == {OutboxStatus.SENT}


async def test_a_reminder_whose_connection_dropped_is_never_sent_twice(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """A dropped connection may have reached Telegram: a reminder is then not sent again (the chosen side,
    see the README); each such reminder is counted and logged, and every other one arrives once."""
    everyone = await cast(bot)
    helpers = await crowd(bot, {"malberg": 6, "pottenberg": 6}, DA)
    invitees = [everyone.get(name) for name in (*NOORDWEST, "corrie")] + helpers
    await plan(bot, everyone.corrie)
    await bot.dispatch()
    storm = start_storm(bot, invitees, seed=9, flood=0.0, errors=0.0, drops=0.3)
    bot.clock.current = DUE_7D
    with no_kicks(bot):
        await run_meeting_sweep(bot.app.bot_data[RUNTIME_KEY])
    with caplog.at_level(logging.WARNING, logger="bot.services.outbox"):
        await ride_out(bot, storm)
    got = [len(reminders(p)) for p in invitees]
    assert max(got) == 1, "never twice"
    lost = got.count(0)
    assert lost == storm.served["drop"] >= 1
    assert (await statuses(bot))[OutboxStatus.UNKNOWN] == lost
    assert sum("outbox.unknown_fate_not_resent" in r.getMessage() for r in caplog.records) == lost


def test_a_connection_that_was_never_made_is_not_a_maybe() -> None:
    """Nothing reached Telegram when the connection could not even be opened: a reminder is then retried."""
    assert not _maybe_delivered(NetworkError("httpx.ConnectError: [Errno 111] Connection refused"))
    assert not _maybe_delivered(TimedOut("Pool timeout: All connections in the connection pool are occupied."))
    assert not _maybe_delivered(NetworkError("Bad Gateway"))
    assert _maybe_delivered(NetworkError("httpx.RemoteProtocolError: Server disconnected without sending a response."))
    assert _maybe_delivered(TimedOut())
    try:
        raise TimedOut() from httpx.ConnectTimeout("connect timed out")
    except TimedOut as exc:
        assert not _maybe_delivered(exc), "PTB reports a connect timeout as a plain TimedOut, with the cause"


async def test_the_notices_after_an_accept_survive_a_storm(bot: Harness) -> None:
    people = await noordwest(bot)
    helpers = await crowd(bot, {"malberg": 6, "pottenberg": 6, "daalhof": 6}, DA)
    request_id = await post(bot, people.anna)
    await bot.dispatch()
    offerers, others = helpers[:8], [people.bob, people.carol, *helpers[8:]]
    storm = start_storm(bot, [people.anna, *helpers, people.bob, people.carol], seed=10)
    with no_kicks(bot):
        for person in offerers:
            await person.press(starting(person, f"Hulpvraag #{request_id}\n")[0], "Ik kan alles")
    await ride_out(bot, storm)
    offers = starting(people.anna, f"Aanbod voor hulpvraag #{request_id}")
    names = [re.split(r"[ ,]", offer.text.split("\n", 1)[1])[0] for offer in offers]
    assert names == [person.first_name for person in offerers], "the requester reads the offers in order"

    winner, losers = offerers[0], offerers[1:]
    with no_kicks(bot):
        await people.anna.press(offers[0], "Accepteren")
    await ride_out(bot, storm)
    assert len(starting(winner, "Je aanbod is geaccepteerd")) == 1
    for person in losers:
        heading = f"Hulpvraag #{request_id}\n"
        notices = [
            m for m in person.messages() if "al ingevuld door iemand" in m.text and not m.text.startswith(heading)
        ]
        assert len(notices) == 1, person
        assert position(person, heading)[0] < person.messages().index(notices[0])
    for person in others:
        (copy,) = starting(person, f"Hulpvraag #{request_id}\n")
        assert "ingevuld" in copy.text and copy.buttons == [], person
        assert person.last().message_id == copy.message_id, "the copy is edited, nothing else is sent"
    assert storm.served["429"] and storm.served["drop"]
    assert OutboxStatus.FAILED not in await statuses(bot)


def test_the_storm_is_reproducible() -> None:
    from tests.e2e.storm import Storm

    first, second = Storm(1, {5}), Storm(1, {5})
    for storm in (first, second):
        storm.raging = True
    faults = [(first.take("sendMessage", 5), second.take("sendMessage", 5)) for _ in range(50)]
    assert all((a and a.kind) == (b and b.kind) for a, b in faults)
    assert {a.kind for a, _ in faults if a} == {"429", "500", "502", "drop"} - (
        {"500", "502"} - {a.kind for a, _ in faults if a}
    )
    assert first.take("sendMessage", 6) is None, "other chats are calm"
