"""The AVG commands end to end: /privacy, /mijngegevens (/mydata) and /verwijdermij (/deleteme)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.services.requests import load_request
from db.meetings import Meeting, MeetingInvitee
from db.models import (
    AuditEntry,
    ConversationState,
    Member,
    MemberRole,
    Offer,
    OfferStatus,
    OutboxMessage,
    RequestStatus,
    Role,
    ShortageRequest,
)
from tests.e2e.meetings_helpers import cast, plan, sweep
from tests.e2e.requests_helpers import noordwest, post
from tests.e2e.test_offers import slot_fillers
from tests.harness import Harness, running_bot
from tests.support import FakeClock
from tgserver.client import SimUser
from tgserver.server import TelegramServer


def exported(user: SimUser) -> tuple[str, dict[str, Any]]:
    """The last JSON document the bot sent this user: its raw text and the parsed data."""
    message = user.last()
    assert message.document is not None, message.text
    assert message.document.filename.endswith(".json")
    raw = message.document.content.decode()
    return raw, json.loads(raw)


async def member_row(bot: Harness, member_id: int) -> tuple[Member, list[Role]]:
    """The member row as stored, and its roles."""
    async with bot.session() as session:
        found = await session.get(Member, member_id)
        assert found is not None
        roles = list(await session.scalars(select(MemberRole.role).where(MemberRole.member_id == member_id)))
        return found, roles


async def audit_actions(bot: Harness, member_id: int) -> list[tuple[str, dict[str, Any]]]:
    async with bot.session() as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.actor_member_id == member_id).order_by(AuditEntry.id)
        )
        return [(row.action, row.details) for row in rows]


async def ask_to_delete(user: SimUser) -> None:
    await user.send("/verwijdermij" if (user.language_code or "nl") == "nl" else "/deleteme")


# --- /privacy ------------------------------------------------------------------------------------------------


async def test_privacy_for_strangers_in_dutch_and_english(bot: Harness) -> None:
    lotte = bot.server.user(first_name="Lotte", language_code="nl")
    await lotte.send("/privacy")
    text = lotte.last().text
    assert text.startswith("Privacy (AVG)")
    assert "Wat er bewaard wordt" in text and "Waarom" in text and "Hoe lang" in text and "Wie het ziet" in text
    assert "na 90 dagen gewist" in text
    assert "de regiocoördinator van je huisartsenorganisatie" in text
    assert "/mijngegevens" in text and "/verwijdermij" in text

    liam = bot.server.user(first_name="Liam", language_code="en")
    await liam.send("/privacy")
    text = liam.last().text
    assert text.startswith("Privacy (AVG)")
    assert "What is stored" in text and "erased after 90 days" in text
    assert "the regional coordinator of your GP organisation" in text
    assert await bot.member(lotte) is None and await bot.member(liam) is None


async def test_privacy_names_the_retention_that_is_set(tg_server: TelegramServer, database_url: str) -> None:
    async with running_bot(tg_server, database_url, FakeClock(), notes_retention_days=30) as bot:
        lotte = bot.server.user(first_name="Lotte", language_code="nl")
        await lotte.send("/privacy")
        assert "na 30 dagen gewist" in lotte.last().text


async def test_privacy_names_the_coordinators_to_members_without_their_phone(bot: Harness) -> None:
    corrie = bot.server.user(first_name="Corrie", last_name="<Coördinator & co>", language_code="nl")
    await bot.make_coordinator(corrie)
    await corrie.send("/help")  # so the bot knows her name
    await corrie.share_contact("+31 6 12345678")
    kim = bot.server.user(first_name="Kim", language_code="en")
    await bot.join(kim, "caberg", Role.PRAKTIJKMANAGER)
    await kim.send("/privacy")
    message = kim.last()
    assert "the coordinators of your region: Corrie <Coördinator & co>" in message.text
    assert "&lt;Coördinator &amp; co&gt;" in message.html, "names are escaped"
    assert "12345678" not in message.text
    # A stranger is not told who the coordinators are.
    stranger = bot.server.user(first_name="Sam", language_code="en")
    await stranger.send("/privacy")
    assert "Corrie" not in stranger.last().text


# --- /mijngegevens -------------------------------------------------------------------------------------------


async def test_export_holds_what_is_stored_about_the_person(bot: Harness) -> None:
    people = await noordwest(bot)
    anna, bob = people.anna, people.bob
    await bob.share_contact("+31 6 11112222")
    await bob.send("/afwezig 24-12")
    request_id = await post(bot, anna, days=("Morgen",), dayparts=("Ochtend",), note="Sleutel bij de balie")
    await bot.dispatch()
    await bob.press(bob.last(), "Ik kan alles")
    await bot.dispatch()

    await bob.send("/mijngegevens")
    document, caption = bob.last().document, bob.last().caption
    assert caption is not None and "Alles wat Wijkhulp over je bewaart" in caption
    assert document is not None and document.filename == "wijkhulp-mijngegevens-2026-11-23.json"
    raw, data = exported(bob)
    me = data["member"]
    assert me["name"] == "Bob" and me["telegram_user_id"] == bob.id and me["phone"] == "+31611112222"
    assert me["practice"] == "Huisartsenpraktijk Malberg" and me["wijk"] == "Maastricht Noordwest"
    assert [role["role"] for role in me["roles"]] == ["doktersassistent"]
    assert data["days_off"] == ["2026-12-24"]
    assert [(o["request_id"], o["status"]) for o in data["offers"]] == [(request_id, "pending")]
    assert [r["request_id"] for r in data["requests_sent_to_you"]] == [request_id]
    assert len(data["invites_used"]) == 1 and data["invites_used"][0]["role"] == "doktersassistent"
    assert {"member.joined", "member.phone_shared", "offer.made"} <= {e["action"] for e in data["audit_log"]}
    assert "Sleutel bij de balie" not in raw, "another practice's note is not the person's data"

    await anna.send("/mydata")
    _raw, data = exported(anna)
    assert data["member"]["name"] == "Anna"
    [mine] = data["requests_created"]
    assert mine["id"] == request_id and mine["note"] == "Sleutel bij de balie"
    assert [slot["daypart"] for slot in mine["slots"]] == ["ochtend"] and mine["slots"][0]["filled"] is False
    assert ("member.exported", {}) in await audit_actions(bot, me["id"])


async def test_export_for_a_stranger_and_in_a_group(bot: Harness) -> None:
    people = await noordwest(bot)
    stranger = bot.server.user(first_name="Saar", username="saar_x", language_code="en")
    await stranger.send("/mydata")
    assert stranger.last().caption == "Wijkhulp stores no personal data about you."
    raw, data = exported(stranger)
    assert data["member"] is None and "Saar" not in raw and str(stranger.id) not in raw

    group = bot.server.group("Wijk Noordwest", [people.bob, people.carol])
    for command in ("/mijngegevens", "/verwijdermij", "/mydata", "/deleteme"):
        await people.bob.send(command, group)
        assert "stuur het commando in een privéchat" in group.last().text
    assert all(message.document is None for message in group.messages())
    assert await bot.member(people.bob) is not None


# --- /verwijdermij -------------------------------------------------------------------------------------------


async def test_delete_cancel_then_confirm_withdraws_the_offer_and_leaves_nothing_personal(bot: Harness) -> None:
    people = await noordwest(bot)
    anna, bob = people.anna, people.bob
    await bob.share_contact("+31 6 11112222")
    await bob.send("/afwezig 24-12")
    request_id = await post(bot, anna, days=("Morgen",), dayparts=("Ochtend",))
    await bot.dispatch()
    await bob.press(bob.last(), "Ik kan alles")
    await bot.dispatch()
    await anna.press(anna.last(), "Accepteren")
    await bot.dispatch()
    assert await slot_fillers(bot, request_id) == [1]
    bob_member = await bot.member(bob)
    assert bob_member is not None

    await ask_to_delete(bob)
    question = bob.last()
    assert "Je gegevens verwijderen uit Wijkhulp?" in question.text
    assert "Je open aanbod wordt ingetrokken; de praktijk krijgt bericht." in question.text
    assert "laatste coördinator" not in question.text
    await bob.press(question, "Nee, alles bewaren")
    assert bob.last().text == "Er is niets verwijderd." and bob.last().buttons == []
    assert await bot.member(bob) is not None and await slot_fillers(bot, request_id) == [1]

    await ask_to_delete(bob)
    await bob.press(bob.last(), "Ja, verwijder mijn gegevens")
    done = bob.last().text
    assert "Je persoonsgegevens zijn verwijderd" in done and "1 aanbod ingetrokken." in done
    await bot.dispatch()
    assert f"Een voormalig lid heeft zich teruggetrokken voor hulpvraag #{request_id}" in anna.last().text
    assert await slot_fillers(bot, request_id) == [None], "the morning is open again"

    # The same Telegram account is a stranger now, and the export says so, with nothing personal in it.
    assert await bot.member(bob) is None
    await bob.send("/profiel")
    assert "Je bent nog geen lid" in bob.last().text
    await bob.send("/mijngegevens")
    raw, data = exported(bob)
    assert data["member"] is None and data["conversation_state"] == []
    for personal in ("Bob", "11112222", str(bob.id), "Malberg"):
        assert personal not in raw

    row, roles = await member_row(bot, bob_member.id)
    assert row.deleted_at is not None and row.display_name == "" and row.phone is None and not row.share_phone
    assert row.telegram_user_id < 0 and row.practice_id is None and roles == []
    async with bot.session() as session:
        offer = await session.scalar(select(Offer).where(Offer.member_id == bob_member.id))
        assert offer is not None and offer.status == OfferStatus.WITHDRAWN
        assert list(await session.scalars(select(OutboxMessage).where(OutboxMessage.member_id == bob_member.id))) == []
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "member.deleted"))
    assert entry is not None and entry.actor_member_id == bob_member.id and entry.subject_id == bob_member.id
    assert entry.details["offers_withdrawn"] == [offer.id]
    assert "Bob" not in json.dumps(entry.details)

    # The old confirmation, pressed again, is stale; a new request never reaches him.
    await bob.press_data(question, f"v1:dm:y:{bob_member.id}:{int(bot.clock.now().timestamp() // 60)}")
    assert "Deze knop werkt niet meer" in (bob.callback_answers[-1].text or "")
    before = len(bob.messages())
    await post(bot, anna, days=("Morgen",), dayparts=("Middag",))
    await bot.dispatch()
    assert len(bob.messages()) == before


async def test_a_leaving_managers_request_goes_to_a_colleague(bot: Harness) -> None:
    people = await noordwest(bot)
    anna, bob = people.anna, people.bob
    hanna = bot.server.user(first_name="Hanna", language_code="nl")
    await bot.join(hanna, "caberg", Role.HUISARTS)
    request_id = await post(bot, anna, days=("Morgen",), dayparts=("Ochtend",))
    await bot.dispatch()

    await ask_to_delete(anna)
    assert "Je lopende hulpvraag gaat naar een collega van je praktijk" in anna.last().text
    await anna.press(anna.last(), "Ja, verwijder mijn gegevens")
    await bot.dispatch()
    assert f"Hulpvraag #{request_id} is nu van jou" in hanna.last().text
    hanna_member = await bot.member(hanna)
    async with bot.session() as session:
        request = await session.get(ShortageRequest, request_id)
        assert request is not None and request.status == RequestStatus.OPEN
        assert hanna_member is not None and request.created_by_member_id == hanna_member.id
    # Offers reach the colleague now.
    await bob.press(next(m for m in bob.messages() if f"#{request_id}" in m.text), "Ik kan alles")
    await bot.dispatch()
    assert hanna.last().text.startswith(f"Aanbod voor hulpvraag #{request_id}")
    await hanna.press(hanna.last(), "Accepteren")
    assert await slot_fillers(bot, request_id) == [1]


async def test_a_request_nobody_can_take_over_is_cancelled_and_the_offerers_told(bot: Harness) -> None:
    people = await noordwest(bot)
    anna, bob = people.anna, people.bob
    request_id = await post(bot, anna, days=("Morgen",), dayparts=("Ochtend",))
    await bot.dispatch()
    await bob.press(bob.last(), "Ik kan alles")
    await bot.dispatch()
    # She leaves in the middle of a new request: its draft and step go too.
    await anna.send("/verzoek")
    await anna.press(anna.last(), "doktersassistent")

    await ask_to_delete(anna)
    assert "Je lopende hulpvraag wordt geannuleerd (niemand van je praktijk kan hem overnemen)" in anna.last().text
    await anna.press(anna.last(), "Ja, verwijder mijn gegevens")
    assert "1 hulpvraag geannuleerd." in anna.last().text
    await bot.dispatch()
    assert "geannuleerd: degene die hem plaatste heeft Wijkhulp verlaten" in bob.last().text
    async with bot.session() as session:
        request = await session.get(ShortageRequest, request_id)
        assert request is not None and request.status == RequestStatus.CANCELLED
        assert request.practice_id is not None, "the practice's fact stays"
        states = list(await session.scalars(select(ConversationState)))
    assert not [row for row in states if str(anna.id) in row.key]
    await anna.send("morgen")
    assert "Dat begreep ik niet" in anna.last().text, "no form step is waiting any more"


async def test_stale_and_forged_confirmations_change_nothing(bot: Harness) -> None:
    people = await noordwest(bot)
    bob, carol = people.bob, people.carol
    bob_member = await bot.member(bob)
    assert bob_member is not None
    await ask_to_delete(bob)
    question = bob.last()
    minute = int(bot.clock.now().timestamp() // 60)

    await carol.send("/help")
    for forged in (
        f"v1:dm:y:{bob_member.id}:{minute}",  # someone else's confirmation
        "v1:dm:y",
        f"v1:dm:z:{bob_member.id}:{minute}",
        f"v1:dm:y:{bob_member.id}:{minute + 10_000}",  # from the future
        f"v0:dm:y:{bob_member.id}:{minute}",
    ):
        await carol.press_data(carol.last(), forged)
        assert carol.callback_answers[-1].text, forged
    assert await bot.member(bob) is not None and await bot.member(carol) is not None

    bot.clock.advance(minutes=16)
    await bob.press(question, "Ja, verwijder mijn gegevens")
    assert "Deze knop werkt niet meer" in (bob.callback_answers[-1].text or "")
    assert await bot.member(bob) is not None


async def test_a_confirmation_pressed_on_a_calendar_file_is_answered_in_a_new_message(bot: Harness) -> None:
    """The permission walk's forged press sometimes landed on the .ics (no text to edit) and failed (issue 17)."""
    crew = await cast(bot)
    await plan(bot, crew.corrie)
    await bot.dispatch()
    bob = crew.people.bob
    calendar = next(m for m in reversed(bob.messages()) if m.document is not None)
    bob_member = await bot.member(bob)
    assert bob_member is not None
    minute = int(bot.clock.now().timestamp() // 60)
    before = len(bob.messages())
    await bob.press_data(calendar, f"v1:dm:n:{bob_member.id}:{minute}")
    assert bob.last().text == "Er is niets verwijderd."
    assert len(bob.messages()) == before + 1 and bob.messages()[before - 1].document is not None, "the file stays"
    assert await bot.member(bob) is not None


async def test_the_last_coordinator_is_warned_and_may_still_leave(bot: Harness) -> None:
    crew = await cast(bot)
    corrie, bob = crew.corrie, crew.people.bob
    await plan(bot, corrie)
    await sweep(bot)
    corrie_member = await bot.member(corrie)
    assert corrie_member is not None
    await bob.send("/mijngegevens")
    _raw, data = exported(bob)
    [invitation] = data["meeting_invitations"]
    assert invitation["meeting"] == "Wijkoverleg Noordwest" and invitation["answer"] is None
    await corrie.send("/mijngegevens")
    _raw, data = exported(corrie)
    assert [m["title"] for m in data["meetings_organised"]] == ["Wijkoverleg Noordwest"]
    assert [role["role"] for role in data["member"]["roles"]] == ["coordinator"]

    await ask_to_delete(corrie)
    assert "Je bent de laatste coördinator van" in corrie.last().text
    coco = bot.server.user(first_name="Coco", language_code="nl")
    await bot.make_coordinator(coco)
    await ask_to_delete(corrie)
    assert "laatste coördinator" not in corrie.last().text
    await corrie.press(corrie.last(), "Ja, verwijder mijn gegevens")

    async with bot.session() as session:
        meeting = await session.scalar(select(Meeting))
        assert meeting is not None and meeting.created_by_member_id is None
        invited = list(
            await session.scalars(select(MeetingInvitee.member_id).where(MeetingInvitee.member_id == corrie_member.id))
        )
    assert invited == []
    # The meeting goes on for everyone else.
    await bob.send("/bijeenkomsten")
    assert "Wijkoverleg Noordwest" in bob.last().text
    await coco.send("/privacy")
    assert "Corrie" not in coco.last().text and "Coco" in coco.last().text


async def test_english_commands_and_menus(bot: Harness) -> None:
    mo = bot.server.user(first_name="Mo", language_code="en")
    await bot.join(mo, "vaals", Role.HUISARTS)
    await mo.send("/help")
    assert "/privacy – what is stored about you; /mydata – all of it as a file" in mo.last().text
    await mo.send("/deleteme")
    assert "Remove your data from Wijkhulp?" in mo.last().text
    await mo.press(mo.last(), "No, keep everything")
    assert mo.last().text == "Nothing was removed."
    commands = {command.command for command in bot.server.commands(language_code="en")}
    assert {"privacy", "mydata", "deleteme"} <= commands
    commands = {command.command for command in bot.server.commands(language_code="nl")}
    assert {"privacy", "mijngegevens", "verwijdermij"} <= commands


async def test_a_leaving_requester_keeps_help_that_is_booked_and_the_audit_says_removed(bot: Harness) -> None:
    """Nobody can take Anna's request over, but Bob is booked (and at work): cancelling would call him off."""
    everyone = await cast(bot)
    people, corrie = everyone.people, everyone.corrie
    anna, bob = people.anna, people.bob
    request_id = await post(bot, anna, days=("Morgen",), dayparts=("Ochtend",))
    await bot.dispatch()
    await bob.press(bob.last(), "Ik kan alles")
    await bot.dispatch()
    await anna.press(anna.last(), "Accepteren")
    await bot.dispatch()
    async with bot.session() as session:
        request = await session.get(ShortageRequest, request_id)
        assert request is not None
        bot.clock.current = request.ends_at - (request.ends_at - request.created_at) / 8  # help under way
    anna_member = await bot.member(anna)
    assert anna_member is not None
    bob_seen = len(bob.messages())
    await anna.send("/verwijdermij")
    assert "zonder je naam" in anna.last().text
    await anna.press(anna.last(), "Ja, verwijder mijn gegevens")
    await bot.dispatch()
    async with bot.session() as session:
        request = await session.get(ShortageRequest, request_id)
        assert request is not None
        assert request.status == RequestStatus.FILLED and request.created_by_member_id is None
    assert len(bob.messages()) == bob_seen, "Bob is not told his booking is off: it is not"
    await corrie.send("/audit")
    line = next(line for line in corrie.last().text.splitlines() if f"lid {anna_member.id} " in line)
    assert "verwijderd" in line, line


async def test_a_helper_leaving_mid_booking_frees_the_afternoon_and_the_requester_hears_which(bot: Harness) -> None:
    people = await noordwest(bot)
    anna, bob = people.anna, people.bob
    request_id = await post(bot, anna, days=("Morgen",), dayparts=("Hele dag",))
    await bot.dispatch()
    await bob.press(bob.last(), "Ik kan alles")
    await bot.dispatch()
    await anna.press(anna.last(), "Accepteren")
    await bot.dispatch()
    async with bot.session() as session:
        loaded = await load_request(session, request_id)
        assert loaded is not None
        first = min(slot.start_at for slot in loaded.slots)
    bot.clock.current = first + timedelta(hours=1)  # the morning is under way
    await ask_to_delete(bob)
    await bob.press(bob.last(), "Ja, verwijder mijn gegevens")
    await bot.dispatch()
    told = anna.last().text
    assert told.startswith(f"Een voormalig lid heeft zich teruggetrokken voor hulpvraag #{request_id}"), told
    assert "middag" in told and "ochtend" not in told, "only the afternoon is open again"
