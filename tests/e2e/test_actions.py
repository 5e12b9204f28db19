"""Action points: recorded after the meeting, owners told, listed per practice and wijk, reminded once, closed."""

from __future__ import annotations

from tests.e2e.meetings_helpers import cast, occurrences, plan, sweep, texts, utc
from tests.harness import Harness
from tgserver.client import SimUser


async def add_point(bot: Harness, organiser: SimUser, text: str, practice: str, who: str, due: str) -> None:
    await organiser.send("/bijeenkomsten")
    await organiser.press(organiser.last(), "15 dec: Wijkoverleg Noordwest")
    await organiser.press(organiser.last(), "Actiepunt toevoegen")
    await organiser.send(text)
    await organiser.press(organiser.last(), practice)
    await organiser.press(organiser.last(), who)
    await organiser.send(due)


async def test_action_points_from_record_to_reminder_to_done(bot: Harness) -> None:
    everyone = await cast(bot)
    corrie, people = everyone.corrie, everyone.people
    await plan(bot, corrie)
    await bot.dispatch()
    occurrence = (await occurrences(bot))[0]
    await corrie.send("/help")
    await corrie.press_data(corrie.last(), f"v1:ma:{occurrence.id}")
    assert "zodra de bijeenkomst begonnen is" in (corrie.callback_answers[-1].text or "")

    bot.clock.current = utc(2026, 12, 15, 19, 30)  # during the meeting
    await corrie.send("/bijeenkomsten")
    await corrie.press(corrie.last(), "15 dec: Wijkoverleg Noordwest")
    await corrie.press(corrie.last(), "Actiepunt toevoegen")
    await corrie.send("Casus: Jan Jansen, geboren 12-03-1956, BSN 111222333")
    assert "patiëntgegevens" in corrie.last().text
    await corrie.send("/annuleer")
    assert "geen actiepunt opgeslagen" in corrie.last().text

    await add_point(bot, corrie, "Rooster waarneming kerst rondsturen", "Huisartsenpraktijk Malberg",
                    "De praktijk als geheel", "31-12")  # fmt: skip
    assert "Actiepunt opgeslagen" in corrie.last().text
    await add_point(bot, corrie, "Griepprik-logistiek navragen", "Praktijk Pottenberg", "Carol", "4-1-2027")
    await bot.dispatch()
    assert len(texts(people.gert, "📌 Nieuw actiepunt")) == 1, "the GP answers for his practice"
    assert texts(people.bob, "📌 Nieuw actiepunt") == [], "the assistant is not an owner"
    [carols] = texts(people.carol, "📌 Nieuw actiepunt")
    assert "Griepprik-logistiek navragen" in carols.text and "Wie: Carol (Praktijk Pottenberg)" in carols.text

    await people.bob.send("/actiepunten")
    assert "Rooster waarneming" in people.bob.last().text and "Griepprik" in people.bob.last().text
    assert people.bob.last().buttons == [], "he may see them, not close them"
    await people.frank.send("/actiepunten")
    assert "Er zijn geen openstaande actiepunten." in people.frank.last().text
    await corrie.send("/actiepunten")
    assert corrie.last().text.startswith("Wijk Maastricht Noordwest")

    # Carol is done early: her reminder (1 January, 09:00) will not come.
    await people.carol.press(carols, "Markeer als klaar")
    assert people.carol.callback_answers[-1].text == "Gemarkeerd als klaar."

    bot.clock.current = utc(2026, 12, 28, 7, 59)
    await sweep(bot)
    assert texts(people.gert, "⏰ Actiepunt") == []
    bot.clock.current = utc(2026, 12, 28, 8, 0)  # three days before, 09:00 in Amsterdam
    await sweep(bot)
    await sweep(bot)
    [reminder] = texts(people.gert, "⏰ Actiepunt")
    assert "Uiterlijk: donderdag 31 december 2026" in reminder.text
    done_data = reminder.buttons[0][0].callback_data or ""
    await people.bob.press_data(people.bob.messages()[-1], done_data)
    assert "Dat kun je niet" in (people.bob.callback_answers[-1].text or "")
    await people.gert.press(reminder, "Markeer als klaar")
    assert reminder.buttons == []
    await people.gert.press_data(reminder, done_data)  # a double tap
    assert people.gert.callback_answers[-1].text == "Dit actiepunt was al klaar."
    bot.clock.current = utc(2027, 1, 2)
    await sweep(bot)
    assert texts(people.carol, "⏰ Actiepunt") == []
    await people.bob.send("/actiepunten")
    assert "Er zijn geen openstaande actiepunten." in people.bob.last().text
