"""Calendars beyond the .ics file: the Google and Outlook buttons under an invitation, and the personal feed
that /profiel hands out, fetched over HTTP from the bot's own web server and read with `icalendar`."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import aiohttp
import icalendar
import pytest

from tests.e2e.meetings_helpers import calendars, cast, event, invitations, plan
from tests.harness import Harness, running_webhook_bot
from tests.support import FakeClock
from tgserver.client import SimUser
from tgserver.server import TelegramServer
from tgserver.state import ChatMessage
from tgserver.webhook import WebhookPusher

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
Running = tuple[Harness, WebhookPusher, int]
FEED = re.compile(r"https://wijkhulp\.example\.org(/calendar/[A-Za-z0-9_-]{43}\.ics)")


def links(message: ChatMessage) -> dict[str, dict[str, str]]:
    """The invitation's URL buttons by label, each URL's parameters decoded."""
    found = {}
    for row in message.buttons:
        for button in row:
            if button.url is not None:
                assert len(button.url) <= 2000
                query = parse_qs(urlsplit(button.url).query)
                found[button.text] = {key: value for key, [value] in query.items()}
                found[button.text]["_site"] = urlsplit(button.url).netloc
    return found


async def test_the_invitation_has_google_and_outlook_buttons_with_utc_times(bot: Harness) -> None:
    everyone = await cast(bot)
    await plan(bot, everyone.corrie, day="di 15 dec", times="19:00-21:00")
    await bot.dispatch()
    bob = everyone.people.bob
    [invite] = invitations(bob)
    assert "Wanneer: dinsdag 15 december 2026, 19:00–21:00" in invite.text, "shown in Amsterdam time"
    assert [[b.text for b in row] for row in invite.buttons] == [
        ["Ja", "Nee", "Misschien"],
        ["➕ Google Agenda", "➕ Outlook"],
    ]
    google, outlook = links(invite)["➕ Google Agenda"], links(invite)["➕ Outlook"]
    assert google["_site"] == "calendar.google.com" and google["action"] == "TEMPLATE"
    assert google["dates"] == "20261215T180000Z/20261215T200000Z", "the URLs carry UTC"
    assert google["text"] == "Wijkoverleg Noordwest"
    assert google["location"] == "Gezondheidscentrum Caberg, Caberg 12, Maastricht"
    assert google["details"].startswith("https://meet.example.org/noordwest\n\n1. Waarneming")
    assert "2. Griepprik & logistiek" in google["details"]
    assert outlook["_site"] == "outlook.live.com" and outlook["rru"] == "addevent"
    assert (outlook["startdt"], outlook["enddt"]) == ("2026-12-15T18:00:00Z", "2026-12-15T20:00:00Z")
    assert outlook["subject"] == "Wijkoverleg Noordwest"

    # Answering edits the invitation; the links stay.
    await bob.press(invite, "Ja")
    shown = next(m for m in bob.messages() if m.message_id == invite.message_id)
    assert [b.text for b in shown.buttons[1]] == ["➕ Google Agenda", "➕ Outlook"]


async def test_summer_dates_are_two_hours_from_utc_in_the_links(bot: Harness) -> None:
    everyone = await cast(bot)
    bot.clock.current = datetime(2027, 5, 20, 9, 0, tzinfo=AMSTERDAM)
    await plan(bot, everyone.corrie, day="di 1 jun", times="19:30-21:00")
    await bot.dispatch()
    [invite] = invitations(everyone.people.carol)
    assert "Wanneer: dinsdag 1 juni 2027, 19:30–21:00" in invite.text
    assert links(invite)["➕ Google Agenda"]["dates"] == "20270601T173000Z/20270601T190000Z"
    assert links(invite)["➕ Outlook"]["startdt"] == "2027-06-01T17:30:00Z"


async def test_without_a_web_server_the_feed_is_explained_not_offered(bot: Harness) -> None:
    everyone = await cast(bot)
    bob = everyone.people.bob
    await bob.send("/profiel")
    said = await tap_and_read(bob, "📆 Mijn agenda-feed")
    assert "heeft de webserver van de bot nodig" in said
    assert FEED.search(said) is None


@pytest.fixture
async def hooked(tg_server: TelegramServer, database_url: str, clock: FakeClock) -> AsyncIterator[Running]:
    async with running_webhook_bot(tg_server, database_url, clock) as running:
        yield running


async def tap(person: SimUser, label: str) -> None:
    """Press the button on the newest message that has it: the outbox may send a notice (her own invitation,
    a cancel notice) after the reply that carries the button."""
    found = [m for m in person.messages() if any(b.text == label for row in m.buttons for b in row)]
    assert found, f"no message with a button {label!r}"
    await person.press(found[-1], label)


async def fetch(port: int, path: str) -> tuple[int, str, bytes]:
    """GET from the bot's web server on loopback, as the reverse proxy passes a calendar's request on."""
    async with aiohttp.ClientSession() as client, client.get(f"http://127.0.0.1:{port}{path}") as response:
        return response.status, response.content_type, await response.read()


async def tap_and_read(person: SimUser, label: str) -> str:
    """Tap, and what the bot sent the person since (a notice may come between, or after, the reply)."""
    mark = len(person.messages())
    await tap(person, label)
    return "\n---\n".join(m.text for m in person.messages()[mark:])


def feed_link(said: str) -> str:
    """The path of the feed link in what the bot said."""
    found = FEED.search(said)
    assert found is not None, said
    return found.group(1)


async def test_the_feed_over_http_same_uids_cancelled_dates_and_revoked_links(hooked: Running) -> None:
    bot, _pusher, port = hooked
    everyone = await cast(bot)
    corrie, bob = everyone.corrie, everyone.people.bob
    await plan(bot, corrie)
    await bot.dispatch()  # her own calendar file goes out after the confirmation; let it, before the next form
    await plan(bot, corrie, title="Griepoverleg", day="do 17 dec", times="12:30-13:30", agenda=None)
    await bot.dispatch()

    await bob.send("/profiel")
    said = await tap_and_read(bob, "📆 Mijn agenda-feed")
    assert "Jouw agenda-feed" in said and "alleen nu" in said
    path = feed_link(said)
    status, content_type, body = await fetch(port, path)
    assert (status, content_type) == (200, "text/calendar")
    feed = icalendar.Calendar.from_ical(body)
    events = {str(e["SUMMARY"]): e for e in feed.walk("VEVENT")}
    assert set(events) == {"Wijkoverleg Noordwest", "Griepoverleg"}
    files = {str(event(c)["SUMMARY"]): str(event(c)["UID"]) for c in calendars(bob)}
    assert len(calendars(bob)) == 2, "one .ics per date"
    assert {name: str(e["UID"]) for name, e in events.items()} == files, "one UID in the file and the feed"
    assert all(re.fullmatch(r"occurrence-\d+-[0-9a-f]{32}@wijkhulp", uid) for uid in files.values())
    start = events["Griepoverleg"].decoded("DTSTART")
    assert start == datetime(2026, 12, 17, 12, 30, tzinfo=AMSTERDAM)
    assert str(events["Griepoverleg"]["STATUS"]) == "CONFIRMED"

    # Corrie cancels the Griepoverleg: the feed keeps it, as cancelled, with a higher SEQUENCE.
    await corrie.send("/bijeenkomsten")
    await tap(corrie, "17 dec: Griepoverleg")
    await tap(corrie, "Datum annuleren")
    await tap(corrie, "Ja, annuleer deze datum")
    await bot.dispatch()
    _status, _type, body = await fetch(port, path)
    cancelled = {str(e["SUMMARY"]): e for e in icalendar.Calendar.from_ical(body).walk("VEVENT")}["Griepoverleg"]
    assert str(cancelled["STATUS"]) == "CANCELLED" and cancelled.decoded("SEQUENCE") == 1
    assert str(cancelled["UID"]) == files["Griepoverleg"]
    assert str(event(calendars(bob)[-1])["UID"]) == files["Griepoverleg"], "the cancelling file names it alike"

    # She moves the Wijkoverleg: the feed has the new time, under the same UID.
    await corrie.send("/bijeenkomsten")
    await tap(corrie, "15 dec: Wijkoverleg Noordwest")
    await tap(corrie, "Verplaatsen")
    await corrie.send("wo 16 dec")
    await corrie.send("20:00-22:00")
    await tap(corrie, "✅ Verplaatsen")
    await bot.dispatch()
    _status, _type, body = await fetch(port, path)
    moved = {str(e["SUMMARY"]): e for e in icalendar.Calendar.from_ical(body).walk("VEVENT")}["Wijkoverleg Noordwest"]
    assert moved.decoded("DTSTART") == datetime(2026, 12, 16, 20, 0, tzinfo=AMSTERDAM)
    assert moved.decoded("SEQUENCE") == 1 and str(moved["UID"]) == files["Wijkoverleg Noordwest"]

    # Asked again, the bot cannot show the link (it keeps only a hash); a new one replaces it.
    await bob.send("/profiel")
    said = await tap_and_read(bob, "📆 Mijn agenda-feed")
    assert "geen kopie" in said and FEED.search(said) is None
    renewed = feed_link(await tap_and_read(bob, "Nieuwe link (de oude stopt)"))
    assert renewed != path
    assert (await fetch(port, path))[0] == 404, "the old link is revoked"
    assert (await fetch(port, renewed))[0] == 200
    # Someone else's feed is not reachable by guessing either.
    assert (await fetch(port, "/calendar/" + "A" * 43 + ".ics"))[0] == 404
    assert (await fetch(port, "/calendar/short.ics"))[0] == 404

    assert "gestopt" in await tap_and_read(bob, "Feed stoppen")
    assert (await fetch(port, renewed))[0] == 404


async def test_the_feed_holds_a_series_as_one_entry_like_its_file(hooked: Running) -> None:
    bot, _pusher, port = hooked
    everyone = await cast(bot)
    corrie, bob = everyone.corrie, everyone.people.bob
    await plan(bot, corrie, day="di 1 dec", repeat="Elke week", title="Wekelijks overleg")
    await bot.dispatch()
    await corrie.send("/bijeenkomsten")
    await tap(corrie, "8 dec: Wekelijks overleg")
    await tap(corrie, "Datum annuleren")
    await tap(corrie, "Ja, annuleer deze datum")
    await bot.dispatch()

    await bob.send("/profiel")
    path = feed_link(await tap_and_read(bob, "📆 Mijn agenda-feed"))
    status, _type, body = await fetch(port, path)
    assert status == 200
    entries = list(icalendar.Calendar.from_ical(body).walk("VEVENT"))
    assert len(entries) == 1, "one entry for the series, not one per date"
    [entry] = entries
    file_entry = event(calendars(bob)[-1])
    assert str(entry["UID"]) == str(file_entry["UID"]) and re.fullmatch(
        r"meeting-\d+-[0-9a-f]{32}@wijkhulp", str(entry["UID"])
    )
    rule: Any = entry["RRULE"]
    assert "FREQ=WEEKLY" in rule.to_ical().decode()
    exdate: Any = entry["EXDATE"]
    assert [d.dt.replace(tzinfo=None) for d in exdate.dts] == [datetime(2026, 12, 8, 19, 0)]
    assert entry.decoded("SEQUENCE") == file_entry.decoded("SEQUENCE") == 1
