"""`/bijeenkomsten` a page at a time: a weekly series has far more than one message of dates. ‹ / › page, the
month buttons and `/bijeenkomsten maart` find a month; forged pages and months get a short answer and leave
the message as it was."""

from __future__ import annotations

import re

from tests.e2e.meetings_helpers import cast, plan
from tests.e2e.test_press_cost import cost, same
from tests.harness import Harness
from tgserver.client import SimUser
from tgserver.state import ChatMessage

WEEKLY = re.compile(r"^Elke week")


def dates_on(message: ChatMessage) -> list[str]:
    """The date buttons of a page (`15 dec: Weekoverleg`), without the navigation row."""
    return [text for text in message.button_texts if ": " in text]


def header(message: ChatMessage) -> str:
    return message.text.splitlines()[0]


async def weekly_series(bot: Harness) -> SimUser:
    """Corrie plans a weekly meeting from 15 December 2026: 50 dates up to a year ahead; she sees them all."""
    everyone = await cast(bot)
    await plan(bot, everyone.corrie, title="Weekoverleg", repeat=WEEKLY, agenda=None)
    await bot.dispatch()
    return everyone.corrie


async def test_pages_go_forward_and_back_through_every_date(bot: Harness) -> None:
    corrie = await weekly_series(bot)
    await corrie.send("/bijeenkomsten")
    page = corrie.last()
    sent = len(corrie.messages())
    assert header(page) == "Data 1–12 van 50"
    assert dates_on(page)[0] == "15 dec: Weekoverleg" and len(dates_on(page)) == 12
    assert page.buttons[-1][0].text == "📅 Maand" and page.buttons[-1][-1].text == "›"

    seen = dates_on(page)
    for _ in range(4):
        await corrie.press(page, "›")
        seen += dates_on(page)
    assert header(page) == "Data 49–50 van 50"
    assert [b.text for b in page.buttons[-1]] == ["‹", "📅 Maand"], "no › on the last page"
    assert len(seen) == 50 and len(set(seen)) == 50, "every date once, none skipped or repeated"
    assert seen[-1] == "23 nov: Weekoverleg"

    await corrie.press(page, "‹")
    assert header(page) == "Data 37–48 van 50"
    assert len(corrie.messages()) == sent and corrie.last() is page, "the page is edited in place"


async def test_a_month_is_found_by_button_or_by_name(bot: Harness) -> None:
    corrie = await weekly_series(bot)
    await corrie.send("/bijeenkomsten")
    page = corrie.last()
    await corrie.press(page, "📅 Maand")
    assert page.text == "Welke maand?"
    months = page.button_texts
    assert months[0] == "dec 2026 (3)" and "mrt 2027 (5)" in months and months[-1] == "‹ Terug"
    await corrie.press(page, "mrt 2027 (5)")
    assert dates_on(page)[0] == "2 mrt: Weekoverleg"
    assert header(page) == "Data 12–23 van 50"

    await corrie.press(page, "📅 Maand")
    await corrie.press(page, "‹ Terug")
    assert header(page) == "Data 12–23 van 50", "back to the page the months were opened from"

    for typed in ("/bijeenkomsten maart", "/bijeenkomsten 2027-03", "/bijeenkomsten mrt 2027"):
        await corrie.send(typed)
        assert dates_on(corrie.last())[0] == "2 mrt: Weekoverleg", typed
    await corrie.send("/bijeenkomsten 2028-06")
    assert corrie.last().text.startswith("Je hebt geen bijeenkomsten in juni 2028.\nMaanden met bijeenkomsten: ")
    assert "december 2026" in corrie.last().text
    await corrie.send("/bijeenkomsten volgende week")
    assert corrie.last().text.startswith("Dat kan ik niet als maand lezen.")


async def test_forged_pages_and_months_get_a_short_answer_and_change_nothing(bot: Harness) -> None:
    corrie = await weekly_series(bot)
    await corrie.send("/bijeenkomsten")
    page = corrie.last()
    before = (page.text, page.edited, page.button_texts)
    forged = {
        "v1:mp:50": "Deze pagina van je bijeenkomsten",  # one past the last date
        "v1:mp:99999999": "Deze pagina van je bijeenkomsten",
        "v1:mp:abc": "Deze pagina van je bijeenkomsten",
        "v1:mp:1:2": "Deze pagina van je bijeenkomsten",
        "v1:mp:k:50": "Deze pagina van je bijeenkomsten",
        "v1:mp:m:202713": "Deze pagina van je bijeenkomsten",
        "v1:mp:m:20270": "Deze pagina van je bijeenkomsten",
        "v1:mp:m:203001": "Je hebt geen bijeenkomsten in januari 2030.",
    }
    for data, answer in forged.items():
        await corrie.press_data(page, data)
        said = corrie.callback_answers[-1].text or ""
        assert said.startswith(answer) and len(said) < 200, (data, said)
        assert (page.text, page.edited, page.button_texts) == before, data


async def test_a_member_with_few_dates_gets_one_page_without_buttons_to_page(bot: Harness) -> None:
    everyone = await cast(bot)
    await plan(bot, everyone.corrie, title="Weekoverleg", repeat=WEEKLY, agenda=None)
    await bot.dispatch()
    bob = everyone.people.bob
    await bob.send("/bijeenkomsten")
    page = bob.last()
    # Invitations go out eight weeks ahead: 15 December to 12 January.
    assert dates_on(page) == [f"{day}: Weekoverleg" for day in ("15 dec", "22 dec", "29 dec", "5 jan", "12 jan")]
    assert "›" not in page.button_texts and not page.text.startswith("Data ")
    await bob.press_data(page, "v1:mp:0")
    assert (bob.callback_answers[-1].text or "") == "", "page 0 is there: the same page, shown again"


async def test_a_page_loads_one_page_of_dates_however_long_the_series(bot: Harness) -> None:
    """Bounded: LIMIT/OFFSET and a count in SQL, so the fourth page costs what the second does."""
    corrie = await weekly_series(bot)
    await corrie.send("/bijeenkomsten")
    page = corrie.last()
    second = await cost(bot, lambda: corrie.press(page, "›"))
    await corrie.press(page, "›")
    fourth = await cost(bot, lambda: corrie.press(page, "›"))
    assert header(page) == "Data 37–48 van 50"
    same(second, fourth)
    assert second.loaded.count("MeetingOccurrence") == 12, second.loaded
