"""A phone number in a note or an action point is refused with a pointer to /profiel; patient data everywhere."""

from __future__ import annotations

import re

from tests.e2e.meetings_helpers import cast, plan, utc
from tests.e2e.requests_helpers import noordwest
from tests.harness import Harness


async def test_a_phone_number_in_a_request_note_points_to_the_profile(bot: Harness) -> None:
    people = await noordwest(bot)
    anna = people.anna
    await anna.send("/verzoek")
    await anna.press(anna.last(), "doktersassistent")
    await anna.press(anna.last(), re.compile("^Morgen"))
    await anna.press(anna.last(), "Verder ›")
    await anna.press(anna.last(), "Ochtend")
    await anna.press(anna.last(), "Normaal")
    for note in ("Bel me op 06-12345678", "Sleutel: +31 (0)43 321 45 67"):
        await anna.send(note)
        assert "telefoonnummer" in anna.last().text and "/profiel" in anna.last().text
    await anna.send("Patiënt J. de Vries 12-03-1954")
    assert "patiëntgegevens" in anna.last().text
    # Dates, times and a postcode are logistics.
    await anna.send("Di 24-11-2026 08:00-12:30, ingang 6211 AB, hulpvraag #12")
    assert anna.last().button_texts[0] == "✅ Versturen"
    await anna.press(anna.last(), "✅ Versturen")
    assert "Hulpvraag #" in anna.last().text


async def test_a_phone_number_in_an_action_point_is_refused_but_a_meeting_place_may_hold_one(bot: Harness) -> None:
    everyone = await cast(bot)
    corrie = everyone.corrie
    await plan(bot, corrie, place="Gezondheidscentrum Caberg, bel aan: 043-3214567", agenda="Inbellen: 020 123 4567")
    await bot.dispatch()
    bot.clock.current = utc(2026, 12, 15, 19, 30)
    await corrie.send("/bijeenkomsten")
    await corrie.press(corrie.last(), "15 dec: Wijkoverleg Noordwest")
    await corrie.press(corrie.last(), "Actiepunt toevoegen")
    await corrie.send("Bel Marij op 06 12 34 56 78 over het rooster")
    assert "telefoonnummer" in corrie.last().text and "/profiel" in corrie.last().text
    await corrie.send("Rooster met Marij afstemmen")
    assert "Welke praktijk" in corrie.last().text or corrie.last().buttons
