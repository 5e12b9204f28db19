"""The playground through its JSON API, as the page and scripts use it: the real bot, seeded demo region, the
guided tour's steps done as the tour says, time controls, reset, and refusals of what Telegram would refuse."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import icalendar
import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from app.playground.personas import GROUP_ID
from app.playground.session import NotAPlaygroundDatabase, Playground
from app.playground.tour import tour_steps
from app.playground.web import build_web
from tests.conftest import POSTGRES_URL
from tgserver.server import TelegramServer

JSON = dict[str, Any]
# The playground always runs on its own SQLite file: once, in the SQLite pass, is enough.
pytestmark = pytest.mark.skipif(bool(POSTGRES_URL), reason="the playground does not use the test database")


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[TestClient[Any, Any]]:
    """A started playground behind its web server, on loopback."""
    playground = Playground(tmp_path / "playground.sqlite3")
    await playground.start()
    client: TestClient[Any, Any] = TestClient(TestServer(build_web(playground)))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()
        await playground.stop()


async def get(api: TestClient[Any, Any], path: str, status: int = 200) -> JSON:
    response = await api.get(path)
    assert response.status == status, await response.text()
    body: JSON = await response.json()
    return body


async def post(api: TestClient[Any, Any], path: str, body: object, status: int = 200) -> JSON:
    response = await api.post(path, data=json.dumps(body), headers={"Content-Type": "application/json"})
    assert response.status == status, await response.text()
    answer: JSON = await response.json()
    return answer


async def messages(api: TestClient[Any, Any], persona: str) -> list[JSON]:
    chat: list[JSON] = (await get(api, f"/api/chats/{persona}"))["messages"]
    return chat


async def last(api: TestClient[Any, Any], persona: str, containing: str = "") -> JSON:
    """The bot's newest message to the persona (that contains `containing`)."""
    found = [m for m in await messages(api, persona) if m["from_bot"] and containing in m["html"]]
    assert found, f"no bot message with {containing!r} for {persona}"
    return found[-1]


async def press(api: TestClient[Any, Any], persona: str, message: JSON, label: str, **extra: str) -> JSON:
    return await post(api, f"/api/personas/{persona}/press", {"message_id": message["id"], "button": label, **extra})


def text_of(message: JSON) -> str:
    return re.sub(r"<[^>]+>", "", message["html"].replace("<br>", "\n"))


async def test_the_demo_region_is_there_at_first_look(api: TestClient[Any, Any]) -> None:
    state = await get(api, "/api/state")
    ids = [persona["id"] for persona in state["personas"]]
    assert ids == ["carla", "anna", "bram", "dewi", "gijs", "sam", GROUP_ID]
    assert {p["language"] for p in state["personas"]} == {"nl", "en"}
    assert re.fullmatch(r"\w{2} \d{1,2} \w+\.? \d{4} \d{2}:\d{2}", state["clock"]["label"]), state["clock"]
    # A meeting planned: everyone in the wijk has the invitation with its answer buttons and its calendar file.
    invitation = await last(api, "dewi", "Uitnodiging")
    assert [b["text"] for b in invitation["buttons"][0]] == ["Ja", "Nee", "Misschien"]
    ics = next(m for m in await messages(api, "dewi") if m["document"])
    download = await api.get(ics["document"]["url"])
    assert download.status == 200 and download.content_type == "text/calendar"
    assert b"BEGIN:VCALENDAR" in await download.read()
    # A request open: Bram's, in Dewi's chat and the wijk group.
    assert "Hulpvraag #1" in (await last(api, "dewi", "Hulpvraag #1"))["html"]
    assert (await last(api, GROUP_ID, "Hulpvraag #1"))["buttons"]
    english = await last(api, "gijs", "Invitation")
    assert "When:" in text_of(english)
    menu = (await get(api, "/api/chats/gijs"))["commands"]
    assert any(c["command"] == "help" for c in menu) and all(c["description"] for c in menu)


async def test_the_guided_tour_happens_as_it_says(api: TestClient[Any, Any]) -> None:
    steps = (await get(api, "/api/tour?language=en"))["steps"]
    assert [step["persona"] for step in steps] == [step.persona for step in tour_steps()]
    assert all(step["title"] and step["text"] for step in steps)
    dutch = (await get(api, "/api/tour?language=nl"))["steps"]
    assert dutch[0]["title"] == "Anna vraagt een waarnemer"

    # 1. Anna asks for a locum for tomorrow morning, with the buttons the tour names.
    await post(api, "/api/personas/anna/send", {"text": "/verzoek"})
    for label in ("huisarts (waarneming)", None, "Verder ›", "Ochtend", "Normaal", "Geen notitie", "✅ Versturen"):
        form = await last(api, "anna")
        if label is None:  # "Morgen (vr 27 nov)": the date is today's tomorrow
            label = next(b["text"] for row in form["buttons"] for b in row if b["text"].startswith("Morgen"))
        await press(api, "anna", form, label)
    assert "Ronde 1 van 4: partners" in (await last(api, "anna", "Hulpvraag #2"))["html"]
    # 2. Gijs, at the partner practice, has it in English and offers.
    copy = await last(api, "gijs", "Request #2")
    answer = await press(api, "gijs", copy, "I can help with all of it")
    assert answer["answer"]["text"].startswith("Thank you!")
    # 3. Anna accepts; Gijs is expected.
    card = await last(api, "anna", "Aanbod voor hulpvraag #2")
    await press(api, "anna", card, "Accepteren")
    assert "Your offer was accepted" in (await last(api, "gijs"))["html"]
    # 4. The group's post of the request is edited: filled, no button.
    post_2 = await last(api, GROUP_ID, "Hulpvraag #2")
    assert post_2["edited"] and not post_2["buttons"]
    # 5. The next morning Carla's digest lists Bram's request, still open.
    await post(api, "/api/clock", {"to": "tomorrow-0730"})
    await post(api, "/api/clock", {"advance_minutes": 60})
    digest = next(m for m in reversed(await messages(api, "carla")) if "Hulpvraag #1" in m["html"])
    assert "overzicht" in text_of(digest).lower() or "open" in text_of(digest).lower()
    await post(api, "/api/personas/carla/send", {"text": "/open"})
    assert "#1" in text_of(await last(api, "carla"))
    # 6 and 7. Dewi offers on Bram's request, Bram accepts.
    await press(api, "dewi", await last(api, "dewi", "Hulpvraag #1"), "Ik kan alles")
    await press(api, "bram", await last(api, "bram", "Aanbod voor hulpvraag #1"), "Accepteren")
    assert "geaccepteerd" in text_of(await last(api, "dewi")).lower()
    # 8. Bram answers the invitation; the next reminder arrives for every invitee.
    answered = await press(api, "bram", await last(api, "bram", "Uitnodiging"), "Ja")
    assert answered["answer"]["text"] == "Opgeslagen: Ja"
    before = (await get(api, "/api/state"))["clock"]["now"]
    await post(api, "/api/clock", {"to": "next-reminder"})
    assert (await get(api, "/api/state"))["clock"]["now"] > before
    for persona in ("carla", "anna", "bram", "dewi"):
        assert "Herinnering" in (await last(api, persona))["html"], persona
    assert "Reminder" in (await last(api, "gijs"))["html"]


async def test_a_group_member_acts_in_the_group_and_toasts_show_there(api: TestClient[Any, Any]) -> None:
    await post(api, f"/api/personas/{GROUP_ID}/send", {"text": "/help", "as": "carla"}, status=200)
    request_post = await last(api, GROUP_ID, "Hulpvraag #1")
    pressed = await press(api, GROUP_ID, request_post, "Ik kan alles", **{"as": "dewi"})
    assert pressed["answer"] is not None
    toasts = (await get(api, f"/api/chats/{GROUP_ID}"))["toasts"]
    assert toasts and toasts[-1]["text"] == pressed["answer"]["text"]
    assert not (await get(api, "/api/chats/dewi"))["toasts"], "a press in the group answers in the group"


async def test_a_persona_switches_language(api: TestClient[Any, Any]) -> None:
    await post(api, "/api/personas/anna/language", {"language": "en"})
    await post(api, "/api/personas/anna/send", {"text": "/help"})
    assert "What you can do" in (await last(api, "anna"))["html"]
    assert (await get(api, "/api/chats/anna"))["commands"][0]["description"].isascii()


async def test_bad_input_gets_a_4xx_and_one_line(api: TestClient[Any, Any]) -> None:
    async def sent(path: str, data: str | bytes) -> ClientResponse:
        response: ClientResponse = await api.post(path, data=data, headers={"Content-Type": "application/json"})
        return response

    refusals = [
        (await api.get("/api/chats/nobody"), 404),
        (await sent("/api/personas/nobody/send", json.dumps({"text": "hoi"})), 404),
        (await sent("/api/personas/anna/send", "{not json"), 400),
        (await sent("/api/personas/anna/send", b"\xff\xfe{}"), 400),
        (await sent("/api/personas/anna/send", "[" * 50_000), 400),
        (await sent("/api/personas/anna/send", json.dumps(["a list"])), 400),
        (await sent("/api/personas/anna/send", json.dumps({"text": "x" * 4097})), 400),
        (await sent("/api/personas/anna/send", json.dumps({"text": "   "})), 400),
        (await api.post("/api/personas/anna/send", data=json.dumps({"text": "/help"})), 415),  # not JSON: a form
        (await sent(f"/api/personas/{GROUP_ID}/send", json.dumps({"text": "/help"})), 400),
        (await sent(f"/api/personas/{GROUP_ID}/send", json.dumps({"text": "/help", "as": "sam"})), 400),
        (await sent("/api/personas/anna/press", json.dumps({"message_id": 99999, "button": "Ja"})), 404),
        (await sent("/api/personas/anna/press", json.dumps({"message_id": True, "button": "Ja"})), 400),
        (await sent("/api/personas/anna/contact", "{}"), 409),
        (await sent("/api/clock", json.dumps({"advance_minutes": -5})), 400),
        (await sent("/api/clock", '{"advance_minutes": 1e400}'), 400),
        (await sent("/api/clock", '{"advance_minutes": NaN}'), 400),
        (await sent("/api/clock", json.dumps({"to": "yesterday"})), 400),
        (await sent("/api/personas/anna/language", json.dumps({"language": "de"})), 400),
        (await api.get("/api/files/nope"), 404),
    ]
    for response, status in refusals:
        assert response.status == status, (response.url, await response.text())
        reason = (await response.json())["error"]
        assert reason and "\n" not in reason and "Traceback" not in reason
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    invitation = await last(api, "dewi", "Uitnodiging")
    unknown = await sent("/api/personas/dewi/press", json.dumps({"message_id": invitation["id"], "button": "Nooit"}))
    assert unknown.status == 404
    # Nothing of it reached the bot: Anna's chat has no answer to any of it.
    assert not any("4097" in m["html"] for m in await messages(api, "anna"))


async def test_reset_starts_over(api: TestClient[Any, Any]) -> None:
    await post(api, "/api/personas/anna/send", {"text": "/help"})
    await post(api, "/api/clock", {"advance_minutes": 120})
    seeded = len(await messages(api, "bram"))
    await post(api, "/api/reset", {})
    state = await get(api, "/api/state")
    assert not any(m["html"] == "/help" for m in await messages(api, "anna"))
    assert len(await messages(api, "bram")) == seeded
    assert state["personas"][0]["id"] == "carla"


async def test_events_answer_when_something_changes(api: TestClient[Any, Any]) -> None:
    state = await get(api, "/api/state")
    waiting = asyncio.create_task(get(api, f"/api/events?run={state['run']}&since={state['version']}"))
    await asyncio.sleep(0)  # the long poll is on its way before anything changes
    await post(api, "/api/personas/sam/send", {"text": "/help"})
    changed = await waiting
    assert changed["run"] == state["run"] and changed["version"] > state["version"]
    # Another run (the page's, before a reset) is answered at once, with the current one.
    assert (await get(api, f"/api/events?run=old&since={changed['version']}"))["run"] == state["run"]


def test_only_what_the_page_shows_counts_as_news(tmp_path: Path) -> None:
    """The stand-in wakes its waiters on every call, the bot's idle getUpdates included: not news for the page."""
    server = TelegramServer()
    playground = Playground(tmp_path / "playground.sqlite3")
    playground.server = server
    user = server.user(first_name="Sam")
    before = playground.view_version()
    server.world.changed()
    assert playground.view_version() == before
    server.world.add_message(user.chat, server.bot_id, text="hoi")
    assert playground.view_version() == before + 1


async def test_the_phone_number_key_shares_the_personas_own_number(api: TestClient[Any, Any]) -> None:
    await post(api, "/api/personas/dewi/send", {"text": "/profiel"})
    card = next(m for m in reversed(await messages(api, "dewi")) if any(b["data"] for r in m["buttons"] for b in r))
    await press(api, "dewi", card, "Deel mijn telefoonnummer")
    keyboard = (await get(api, "/api/chats/dewi"))["keyboard"]
    assert keyboard == [[{"text": "Deel mijn telefoonnummer", "contact": True}]]
    await post(api, "/api/personas/dewi/contact", {})
    assert "Je nummer wordt alleen getoond" in text_of(await last(api, "dewi"))
    assert (await get(api, "/api/chats/dewi"))["keyboard"] == []


async def test_a_host_other_than_its_own_address_is_refused(tmp_path: Path) -> None:
    playground = Playground(tmp_path / "playground.sqlite3")
    await playground.start()
    client: TestClient[Any, Any] = TestClient(TestServer(build_web(playground, frozenset({"127.0.0.1:8080"}))))
    await client.start_server()
    try:
        rebound = await client.get("/api/state", headers={"Host": "evil.example:8080"})
        assert rebound.status == 421
        own = await client.get("/api/state", headers={"Host": "127.0.0.1:8080"})
        assert own.status == 200
    finally:
        await client.close()
        await playground.stop()


async def test_a_database_file_it_did_not_make_is_never_erased(tmp_path: Path) -> None:
    precious = tmp_path / "wijkhulp.sqlite3"
    precious.write_bytes(b"SQLite format 3\x00 someone's data")
    with pytest.raises(NotAPlaygroundDatabase):
        await Playground(precious).start()
    assert precious.read_bytes() == b"SQLite format 3\x00 someone's data"


async def test_the_playground_serves_the_calendar_feeds_it_hands_out(tmp_path: Path) -> None:
    playground = Playground(tmp_path / "playground.sqlite3", base_url="http://127.0.0.1:8080")
    await playground.start()
    api: TestClient[Any, Any] = TestClient(TestServer(build_web(playground)))
    await api.start_server()
    try:
        await post(api, "/api/personas/dewi/send", {"text": "/profiel"})
        await press(api, "dewi", await last(api, "dewi", "profiel"), "📆 Mijn agenda-feed")
        found = re.search(r"http://127\.0\.0\.1:8080(/calendar/[A-Za-z0-9_-]+\.ics)", text_of(await last(api, "dewi")))
        assert found is not None
        response = await api.get(found.group(1))
        assert response.status == 200 and response.content_type == "text/calendar"
        feed = icalendar.Calendar.from_ical(await response.read())
        ics = next(m for m in await messages(api, "dewi") if m["document"])
        single = icalendar.Calendar.from_ical(await (await api.get(ics["document"]["url"])).read())
        uids = {str(e["UID"]) for e in feed.walk("VEVENT")}
        assert str(single.walk("VEVENT")[0]["UID"]) in uids, "the demo's meeting, under the .ics file's UID"
        assert (await api.get("/calendar/" + "x" * 43 + ".ics")).status == 404
    finally:
        await api.close()
        await playground.stop()
