"""Action points: recorded after the meeting, owners told, listed per practice and wijk, reminded once, closed."""

from __future__ import annotations

import re

from tests.e2e.meetings_helpers import cast, occurrences, plan, sweep, texts, utc
from tests.harness import Harness, running_bot
from tests.support import FakeClock
from tgserver.client import SimUser
from tgserver.server import TelegramServer


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

    # Carol is done early: her reminder (1 January, 09:00) will not come; Corrie, who recorded it, hears it once.
    await people.carol.press(carols, "Markeer als klaar")
    assert people.carol.callback_answers[-1].text == "Gemarkeerd als klaar."
    await bot.dispatch()
    [heard] = texts(corrie, "✅ Actiepunt klaar")
    assert heard.text.startswith("✅ Actiepunt klaar, gemarkeerd door Carol\n")
    assert "Griepprik-logistiek navragen" in heard.text and "✅ Klaar op dinsdag 15 december 2026" in heard.text
    assert texts(people.carol, "✅ Actiepunt klaar") == [], "who marked it knows"

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
    await bot.dispatch()
    assert len(texts(corrie, "✅ Actiepunt klaar")) == 2
    bot.clock.current = utc(2027, 1, 2)
    await sweep(bot)
    assert texts(people.carol, "⏰ Actiepunt") == []
    # Done ones stay in the list for a month, shown as done and without a button.
    await people.gert.send("/actiepunten")
    listed = people.gert.last()
    assert "Rooster waarneming" in listed.text and "Griepprik" in listed.text
    assert listed.text.count("✅ Klaar op") == 2 and listed.buttons == []
    bot.clock.current = utc(2027, 2, 1)
    await people.bob.send("/actiepunten")
    assert "Er zijn geen openstaande actiepunten." in people.bob.last().text


async def test_a_point_due_within_three_days_is_reminded_the_day_before_at_nine_once(
    tg_server: TelegramServer, database_url: str, clock: FakeClock
) -> None:
    async with running_bot(tg_server, database_url, clock) as first:
        everyone = await cast(first)
        corrie, gert = everyone.corrie, everyone.people.gert
        await plan(first, corrie)
        await first.dispatch()
        first.clock.current = utc(2026, 12, 15, 19, 30)  # Tuesday evening, during the meeting
        await add_point(first, corrie, "Dienstrooster rondsturen", "Huisartsenpraktijk Malberg",
                        "De praktijk als geheel", "do 17 dec")  # fmt: skip
        # Due tomorrow: recorded today, so no reminder (the owners were just told).
        await add_point(first, corrie, "Sleutel terugbrengen", "Huisartsenpraktijk Malberg",
                        "De praktijk als geheel", "wo 16 dec")  # fmt: skip
        await first.dispatch()
        assert len(texts(gert, "📌 Nieuw actiepunt")) == 2
        first.clock.current = utc(2026, 12, 16, 7, 59)  # Wednesday 08:59 in Amsterdam: not yet, nor in the night
        await sweep(first)
        assert texts(gert, "⏰ Actiepunt") == []
        first.clock.current = utc(2026, 12, 16, 8, 0)  # the day before, 09:00
        await sweep(first)
        [reminder] = texts(gert, "⏰ Actiepunt")
        assert "Dienstrooster rondsturen" in reminder.text and "Uiterlijk: donderdag 17 december 2026" in reminder.text
    clock.current = utc(2026, 12, 16, 8, 5)
    async with running_bot(tg_server, database_url, clock) as second:  # a restart does not repeat it
        await sweep(second)
        clock.current = utc(2026, 12, 17, 8, 0)
        await sweep(second)
        assert len(texts(gert, "⏰ Actiepunt")) == 1


async def test_the_organiser_hears_of_a_point_done_once_but_not_of_their_own(bot: Harness) -> None:
    everyone = await cast(bot)
    corrie, gert = everyone.corrie, everyone.people.gert
    await plan(bot, corrie)
    await bot.dispatch()
    bot.clock.current = utc(2026, 12, 15, 19, 30)
    await add_point(bot, corrie, "Rooster kerst", "Huisartsenpraktijk Malberg", "De praktijk als geheel", "31-12")
    await add_point(bot, corrie, "Griepprik", "Huisartsenpraktijk Malberg", "De praktijk als geheel", "30-12")
    await bot.dispatch()
    first, second = texts(gert, "📌 Nieuw actiepunt")
    await corrie.send("/actiepunten")
    await corrie.press(corrie.last(), re.compile("^Klaar: Griepprik"))
    await bot.dispatch()
    assert texts(corrie, "✅ Actiepunt klaar") == [], "she marked it herself"
    done_data = first.buttons[0][0].callback_data or ""
    await gert.press(first, "Markeer als klaar")
    await gert.press_data(first, done_data)  # a double tap closes it once, and tells once
    await bot.dispatch()
    [heard] = texts(corrie, "✅ Actiepunt klaar")
    assert heard.text.startswith("✅ Actiepunt klaar, gemarkeerd door Gert\n") and "Rooster kerst" in heard.text
    assert second.buttons, "the other point is still open"
