"""Who comes: the counts on each invitee's own card, the organiser named and down as coming, one reminder to
those who have not answered (automatic, once, also across a restart, never at night; and the organiser's button,
once a day), and the date in the linked wijk group, edited as answers come in, few edits for many answers."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from db.models import OutboxMessage
from tests.e2e.meetings_helpers import NOORDWEST, Cast, cast, invitations, plan, sweep, texts, utc
from tests.harness import Harness, running_bot
from tests.support import FakeClock
from tgserver.client import SimGroup, SimUser
from tgserver.server import TelegramServer
from tgserver.state import ChatMessage

# Tuesday 15 December 2026 at 19:00 in Amsterdam; three days before at 10:00 there is 09:00 UTC.
NUDGE_DUE = utc(2026, 12, 12, 9, 0)


def nudges(user: SimUser) -> list[ChatMessage]:
    return texts(user, "❓ Kom je?")


def shown(user: SimUser, message: ChatMessage) -> ChatMessage:
    """The message as it is now (after edits)."""
    return next(m for m in user.messages() if m.message_id == message.message_id)


async def open_card(user: SimUser) -> ChatMessage:
    await user.send("/bijeenkomsten")
    await user.press(user.last(), "15 dec: Wijkoverleg Noordwest")
    return user.last()


async def test_invitees_see_the_counts_on_their_own_card_kept_current_by_their_own_press(bot: Harness) -> None:
    everyone = await cast(bot)
    bob, carol = everyone.people.bob, everyone.people.carol
    await plan(bot, everyone.corrie)
    await bot.dispatch()
    [bobs] = invitations(bob)
    assert "👥 Ja 1 · Nee 0 · Misschien 0" in bobs.text, "the organiser is down as coming"
    assert "Organisator: Corrie, voor je vragen" in bobs.text

    await bob.press(bobs, "Ja")
    assert "👥 Ja 2 · Nee 0 · Misschien 0\nJouw antwoord: Ja" in shown(bob, bobs).text
    [carols] = invitations(carol)
    await carol.press(carols, "Nee")
    assert "👥 Ja 2 · Nee 1 · Misschien 0\nJouw antwoord: Nee" in shown(carol, carols).text
    # Carol's answer does not edit Bob's message (that would be a message per invitee per answer) ...
    assert "👥 Ja 2 · Nee 0 · Misschien 0" in shown(bob, bobs).text
    # ... but his card shows it when he opens it, and his own next press brings his message up to date.
    card = await open_card(bob)
    assert "👥 Ja 2 · Nee 1 · Misschien 0\nJouw antwoord: Ja" in card.text and "Organisator: Corrie" in card.text
    await bob.press(shown(bob, bobs), "Misschien")
    assert "👥 Ja 1 · Nee 1 · Misschien 1\nJouw antwoord: Misschien" in shown(bob, bobs).text


async def test_the_organiser_is_down_as_coming_not_among_those_who_have_not_answered(bot: Harness) -> None:
    everyone = await cast(bot)
    corrie = everyone.corrie
    await plan(bot, corrie)
    await bot.dispatch()
    card = await open_card(corrie)
    assert "Ja (1): Corrie" in card.text
    waiting = next(line for line in card.text.split("\n") if line.startswith("nog niet beantwoord"))
    assert waiting == "nog niet beantwoord (6): Anna, Bob, Carol, Dirk, Eva, Gert"
    assert "Jouw antwoord: Ja" in card.text
    # She can still say she cannot come after all.
    await corrie.press(card, "Nee")
    assert "Jouw antwoord: Nee" in shown(corrie, card).text


async def test_the_organisers_own_messages_follow_the_end_of_their_form(bot: Harness) -> None:
    everyone = await cast(bot)
    corrie = everyone.corrie
    await plan(bot, corrie)
    await bot.dispatch()
    assert corrie.messages()[-2].text.startswith("Gepland:") and corrie.messages()[-1].document is not None
    card = await open_card(corrie)
    await corrie.press(card, "Verplaatsen")
    await corrie.send("do 17 dec")
    await corrie.send("20:00-22:00")
    await corrie.press(corrie.last(), "✅ Verplaatsen")
    await bot.dispatch()
    after = [m.text.split("\n")[0] for m in corrie.messages()[-3:]]
    assert after[0].startswith("Verplaatst. 7 genodigden") and after[1] == "🔁 Verplaatst", after
    assert corrie.messages()[-1].document is not None


def nudge_counts(everyone: Cast) -> dict[str, int]:
    return {name: len(nudges(everyone.get(name))) for name in (*NOORDWEST, "frank", "stien", "corrie")}


async def test_one_reminder_to_those_who_have_not_answered_three_days_before_at_ten(bot: Harness) -> None:
    everyone = await cast(bot)
    bob = everyone.people.bob
    await plan(bot, everyone.corrie)
    await bot.dispatch()
    await bob.press(invitations(bob)[0], "Nee")
    bot.clock.current = NUDGE_DUE - timedelta(minutes=1)
    await sweep(bot)
    assert set(nudge_counts(everyone).values()) == {0}, "nothing before its time"
    bot.clock.current = NUDGE_DUE
    await sweep(bot)
    await sweep(bot)
    waiting = ("anna", "carol", "dirk", "eva", "gert")
    assert nudge_counts(everyone) == dict.fromkeys(waiting, 1) | {"bob": 0, "corrie": 0, "frank": 0, "stien": 0}
    [asked] = nudges(everyone.people.carol)
    assert "Je hebt nog niet geantwoord" in asked.text and "👥 Ja 1 · Nee 1 · Misschien 0" in asked.text
    assert asked.button_texts == ["Ja", "Nee", "Misschien", "➕ Google Agenda", "➕ Outlook"]
    await everyone.people.carol.press(asked, "Ja")
    assert "Jouw antwoord: Ja" in shown(everyone.people.carol, asked).text
    bot.clock.current = NUDGE_DUE + timedelta(days=1)
    await sweep(bot)
    assert nudge_counts(everyone)["anna"] == 1, "one automatic reminder per date"


async def test_the_automatic_reminder_goes_once_across_restarts_and_waits_out_the_night(
    tg_server: TelegramServer, database_url: str, clock: FakeClock
) -> None:
    async with running_bot(tg_server, database_url, clock) as first:
        everyone = await cast(first)
        await plan(first, everyone.corrie)
        await first.dispatch()
    clock.current = utc(2026, 12, 12, 21, 30)  # down across the due time; back at 22:30 in Amsterdam
    async with running_bot(tg_server, database_url, clock) as second:
        await sweep(second)
        assert set(nudge_counts(everyone).values()) == {0}, "not at night"
        clock.current = utc(2026, 12, 13, 7, 0)  # 08:00 in Amsterdam
        await sweep(second)
        assert nudge_counts(everyone)["anna"] == 1 and nudge_counts(everyone)["corrie"] == 0
    clock.current = utc(2026, 12, 13, 9, 0)
    async with running_bot(tg_server, database_url, clock) as third:
        await sweep(third)
        await sweep(third)
        assert nudge_counts(everyone)["anna"] == 1, "a restart never sends it twice"
        async with third.session() as session:
            rows = await session.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "meeting.nudge")
            )
        assert rows == 6, "one row each for Anna, Bob, Carol, Dirk, Eva and Gert"


async def test_a_date_planned_late_is_asked_half_way_by_day(bot: Harness) -> None:
    everyone = await cast(bot)
    bot.clock.current = utc(2026, 12, 13, 20, 0)  # Sunday 21:00 in Amsterdam, two days before the date
    await plan(bot, everyone.corrie)
    await bot.dispatch()
    # Half-way to Tuesday 19:00 is Monday 20:00 in Amsterdam: by day, so then.
    bot.clock.current = utc(2026, 12, 14, 18, 59)
    await sweep(bot)
    assert nudge_counts(everyone)["anna"] == 0
    bot.clock.current = utc(2026, 12, 14, 19, 0)
    await sweep(bot)
    assert nudge_counts(everyone)["anna"] == 1


async def test_a_meeting_planned_without_reminders_asks_nobody_by_itself(bot: Harness) -> None:
    everyone = await cast(bot)
    await plan(bot, everyone.corrie, reminders="Geen herinneringen")
    await bot.dispatch()
    bot.clock.current = NUDGE_DUE
    await sweep(bot)
    assert set(nudge_counts(everyone).values()) == {0}


async def test_the_organisers_button_reminds_once_a_day(bot: Harness) -> None:
    everyone = await cast(bot)
    corrie, bob, anna = everyone.corrie, everyone.people.bob, everyone.people.anna
    await plan(bot, corrie)
    await bot.dispatch()
    await bob.press(invitations(bob)[0], "Ja")
    card = await open_card(corrie)
    assert card.button_texts[5:] == ["Herinner wie nog niet antwoordde", "Verplaatsen", "Datum annuleren", "Wijzigen…"]
    await corrie.press(card, "Herinner wie nog niet antwoordde")
    assert corrie.callback_answers[-1].text == "Herinnering gestuurd naar 5 mensen die nog niet antwoordden."
    await bot.dispatch()
    [asked] = nudges(anna)
    assert "Corrie vraagt het aan wie nog niet antwoordde" in asked.text
    assert nudges(bob) == [] and nudges(corrie) == []

    await corrie.press(card, "Herinner wie nog niet antwoordde")
    refused = corrie.callback_answers[-1].text or ""
    assert refused == "Je hebt vandaag al een herinnering voor deze datum gestuurd. Morgen kan het weer."
    await bot.dispatch()
    assert len(nudges(anna)) == 1

    await anna.press(asked, "Misschien")
    bot.clock.advance(days=1)
    await corrie.press(card, "Herinner wie nog niet antwoordde")
    assert corrie.callback_answers[-1].text == "Herinnering gestuurd naar 4 mensen die nog niet antwoordden."
    await bot.dispatch()
    assert len(nudges(anna)) == 1 and len(nudges(everyone.people.carol)) == 2


async def test_the_organisers_button_at_night_waits_for_the_morning(bot: Harness) -> None:
    everyone = await cast(bot)
    corrie, anna = everyone.corrie, everyone.people.anna
    await plan(bot, corrie)
    await bot.dispatch()
    bot.clock.current = utc(2026, 12, 1, 22, 0)  # 23:00 in Amsterdam
    await corrie.press(await open_card(corrie), "Herinner wie nog niet antwoordde")
    assert corrie.callback_answers[-1].text == (
        "Herinnering aan 6 mensen die nog niet antwoordden: die gaat om 08:00 weg, niet 's nachts."
    )
    await bot.dispatch()
    assert nudges(anna) == []
    bot.clock.current = utc(2026, 12, 2, 7, 0)
    await bot.dispatch()
    assert len(nudges(anna)) == 1


async def linked_group(bot: Harness, everyone: Cast) -> SimGroup:
    corrie, people = everyone.corrie, everyone.people
    group = bot.server.group(title="Wijk Noordwest", members=[corrie, people.anna, people.bob, people.carol])
    await corrie.send("/koppelgroep", chat=group)
    await corrie.press(group.last(), "Maastricht Noordwest")
    return group


async def group_rows(bot: Harness) -> int:
    async with bot.session() as session:
        found = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "meeting.group")
        )
    return found or 0


async def test_the_date_is_posted_in_the_wijk_group_and_a_burst_of_answers_makes_one_edit(bot: Harness) -> None:
    everyone = await cast(bot)
    people = everyone.people
    group = await linked_group(bot, everyone)
    await plan(bot, everyone.corrie)
    await bot.dispatch()
    post = group.last()
    assert post.text.startswith("📅 Wijkbijeenkomst\nWijkoverleg Noordwest\nWanneer: dinsdag 15 december 2026")
    assert "👥 Ja 1 · Nee 0 · Misschien 0" in post.text and "Organisator: Corrie" in post.text
    assert "/bijeenkomsten" in post.text and "Agenda" not in post.text

    for person, label in ((people.bob, "Ja"), (people.carol, "Ja"), (people.dirk, "Nee"), (people.eva, "Ja")):
        await person.press(invitations(person)[0], label)
    await bot.dispatch()
    assert shown_in(group, post).edited == 0, "the edit waits, so that the answers of the next moments join it"
    bot.clock.advance(seconds=30)
    await bot.dispatch()
    edited = shown_in(group, post)
    assert edited.edited == 1 and "👥 Ja 4 · Nee 1 · Misschien 0" in edited.text
    assert await group_rows(bot) == 2, "the post and one edit for four answers"

    await people.eva.press(shown(people.eva, invitations(people.eva)[0]), "✅ Ja")  # the same answer: nothing to edit
    assert await group_rows(bot) == 2
    await people.anna.press(invitations(people.anna)[0], "Misschien")
    bot.clock.advance(seconds=30)
    await bot.dispatch()
    assert shown_in(group, post).edited == 2 and "👥 Ja 4 · Nee 1 · Misschien 1" in shown_in(group, post).text
    assert [m.message_id for m in group.messages() if "Wijkoverleg" in m.text] == [post.message_id]


async def test_a_cancelled_date_shows_so_in_the_group(bot: Harness) -> None:
    everyone = await cast(bot)
    group = await linked_group(bot, everyone)
    await plan(bot, everyone.corrie)
    await bot.dispatch()
    post = group.last()
    corrie = everyone.corrie
    card = await open_card(corrie)
    await corrie.press(card, "Datum annuleren")
    await corrie.press(corrie.last(), "Ja, annuleer deze datum")
    await bot.dispatch()
    now = shown_in(group, post)
    assert now.text.startswith("❌ Geannuleerd\nWijkoverleg Noordwest") and "/bijeenkomsten" not in now.text


def shown_in(group: SimGroup, message: ChatMessage) -> ChatMessage:
    return next(m for m in group.messages() if m.message_id == message.message_id)
