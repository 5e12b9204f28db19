"""The audit log: every invite, join, role change, accept and cancel is recorded; a coordinator reads their own
region's log with /audit, newest first, a page at a time, without names or phone numbers."""

from __future__ import annotations

from sqlalchemy import select

from db.models import AuditEntry, Practice, Region, Role
from tests.e2e.meetings_helpers import cast, plan, utc
from tests.e2e.requests_helpers import post
from tests.harness import Harness


async def actions(bot: Harness) -> list[str]:
    async with bot.session() as session:
        return list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


async def test_the_trail_of_a_busy_week_and_reading_it(bot: Harness) -> None:
    everyone = await cast(bot)
    corrie, people = everyone.corrie, everyone.people
    anna, bob, carol = people.anna, people.bob, people.carol
    await anna.send("/profiel")
    await anna.press(anna.last(), "Deel mijn telefoonnummer")
    await anna.share_contact("+31 6 12345678")
    await bot.add_role(bob, Role.TRIAGIST)

    group = bot.server.group(title="Wijk Noordwest", members=[corrie, anna])
    await corrie.send("/koppelgroep", chat=group)
    await corrie.press(group.last(), "Maastricht Noordwest")
    request_id = await post(bot, anna, dayparts=("Hele dag",), note="Sleutel bij de balie")
    await bot.dispatch()
    await bob.press(next(m for m in reversed(bob.messages()) if m.buttons), "Ik kan alles")
    await carol.press(next(m for m in reversed(carol.messages()) if m.buttons), "Ik kan alles")
    await bot.dispatch()
    offers = [m for m in anna.messages() if m.text.startswith(f"Aanbod voor hulpvraag #{request_id}")]
    await anna.press(offers[0], "Accepteren")
    cancelled_id = await post(bot, anna, days=("wo 25 nov",))
    await anna.send("/mijnverzoeken")
    await anna.press(anna.last(), f"Annuleer #{cancelled_id}")
    await anna.press(anna.last(), "niet meer nodig")
    await plan(bot, corrie)
    await bot.dispatch()
    await corrie.send("/bijeenkomsten")
    await corrie.press(corrie.last(), "15 dec: Wijkoverleg Noordwest")
    await corrie.press(corrie.last(), "Datum annuleren")
    await corrie.press(corrie.last(), "Ja, annuleer deze datum")
    await corrie.send("/ontkoppelgroep", chat=group)
    await bot.dispatch()

    trail = await actions(bot)
    for expected in (
        "invite.created",
        "member.joined",
        "coordinator.added",
        "member.role_added",
        "member.phone_shared",
        "group.linked",
        "request.posted",
        "offer.made",
        "offer.accepted",
        "request.cancelled",
        "meeting.created",
        "meeting.cancelled",
        "group.unlinked",
    ):
        assert expected in trail, expected

    # Another region's entries stay out of this coordinator's view.
    async with bot.session() as session:
        other = Region(code="elders", name="Elders", timezone="Europe/Amsterdam", locale="nl")
        session.add(other)
        await session.flush()
        session.add(AuditEntry(at=bot.clock.now(), region_id=other.id, action="request.posted", subject_type="request",
                               subject_id=999, details={}))  # fmt: skip

    await corrie.send("/audit")
    first = corrie.last()
    assert first.text.startswith("Auditlog (pagina 1)")
    assert first.text.index("Groep ontkoppeld") < first.text.index("Bijeenkomstdatum geannuleerd"), "newest first"
    assert "maandag 23 november 2026" in first.text
    assert first.button_texts == ["Ouder ›"]
    seen = [first.text]
    page = first
    while "Ouder ›" in page.button_texts:
        await corrie.press(page, "Ouder ›")
        page = next(m for m in corrie.messages() if m.message_id == first.message_id)
        seen.append(page.text)
    everything = "\n".join(seen)
    assert len(seen) >= 3 and "Nieuwer" in " ".join(page.button_texts)
    assert "#999" not in everything
    for phrase in (
        "Uitnodiging gemaakt",
        "Aangemeld",
        "Rol toegevoegd (triagist)",
        "Aanbod geaccepteerd",
        f"Hulpvraag geannuleerd · hulpvraag #{cancelled_id}",
        "Groep gekoppeld aan wijk · Maastricht Noordwest",
        "door lid",
        "(Huisartsen Caberg <&> Oud-Caberg)",
    ):
        assert phrase in everything, phrase
    for private in ("Anna", "Bob", "Carol", "12345678", "Sleutel"):
        assert private not in everything, private
    await corrie.press(page, "‹ Nieuwer")
    assert "pagina " + str(len(seen) - 1) in next(m for m in corrie.messages() if m.message_id == first.message_id).text

    await corrie.send("/audit aanbod")
    offers_page = corrie.last().text
    assert "Aanbod gedaan" in offers_page and "Hulpvraag geplaatst" not in offers_page
    assert f"aanbod #1 op hulpvraag #{request_id}" in offers_page
    await corrie.send("/audit request")
    assert "Hulpvraag geplaatst" in corrie.last().text and "Aanbod gedaan" not in corrie.last().text
    await corrie.send("/audit rol")
    assert "Rol toegevoegd" in corrie.last().text and "Hulpvraag" not in corrie.last().text
    await corrie.send("/audit gisteren")
    assert "Dat onderwerp ken ik niet" in corrie.last().text and "request, offer" in corrie.last().text
    await corrie.send("/audit request offer")
    assert "Dat onderwerp ken ik niet" in corrie.last().text


async def test_only_coordinators_read_the_log_buttons_included(bot: Harness) -> None:
    everyone = await cast(bot)
    anna, corrie = everyone.people.anna, everyone.corrie
    stranger = bot.server.user(first_name="Stranger")
    for person in (anna, stranger):
        await person.send("/audit")
        assert person.last().text == "Alleen een regionale coördinator kan dit zien."
    async with bot.session() as session:  # names at their longest still fit ten to a message
        for practice in await session.scalars(select(Practice)):
            practice.name = "<Praktijk & co>" * 13
    await corrie.send("/audit")
    older = corrie.last()
    assert older.button_texts == ["Ouder ›"]
    assert "(<Praktijk & co><Praktijk & co><Praktijk & co><Praktijk & co…)" in older.text
    # A forged press from someone else, and odd arguments from the coordinator, change nothing.
    await anna.press_data(anna.last(), "v1:au:1:all")
    assert "Alleen een regionale coördinator" in (anna.callback_answers[-1].text or "")
    for forged in ("v1:au:x:all", "v1:au:1:nope", "v1:au:1", "v1:au"):
        await corrie.press_data(older, forged)
        assert "werkt niet meer" in (corrie.callback_answers[-1].text or "")
    await corrie.press_data(older, "v1:au:999999:all")
    assert "Geen oudere meldingen." in next(m for m in corrie.messages() if m.message_id == older.message_id).text
    bot.clock.current = utc(2026, 11, 24)
    await plan(bot, corrie)
    await bot.dispatch()  # her own invitation, kicked at the commit, arrives first
    await corrie.send("/audit meeting")
    assert "dinsdag 24 november 2026, 01:00" in corrie.last().text, "times in Europe/Amsterdam"
