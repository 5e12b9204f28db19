"""The world the permission walk runs in: one bot per test module, the personas of the permission table, and
the things a row is about (a request, an offer, a meeting, an action point), made fresh for each cell.

Everything is set up the way it happens in real life where that is cheap (people join through invite links),
and through the services where it would only repeat other tests (posting a request, planning a meeting).
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update

from bot.permission_table import Persona
from bot.services.actions import add_action_point
from bot.services.groups import link_group
from bot.services.invites import create_invite
from bot.services.ladder import post_and_ask
from bot.services.meetings import MeetingSpec, create_meeting, load_occurrence
from bot.services.members import add_coordinator, find_member, resolve_region
from bot.services.network import find_practice, import_network, parse_network
from bot.services.offers import accept_offer, make_offer
from bot.services.requests import NeededRole, SlotInput, load_request_slots
from db.meetings import MeetingOccurrence
from db.models import Base, Daypart, Member, MemberRole, Offer, Role, Urgency, Wijk, WijkGroup
from handlers.ladder_views import waits_of
from tests.harness import Harness, running_bot
from tests.support import FakeClock
from tgserver.client import SimGroup, SimUser
from tgserver.server import TelegramServer
from tgserver.state import ChatMessage

ZONE = ZoneInfo("Europe/Amsterdam")

OTHER_REGION = """
region: {code: zl, name: Zuid-Limburg Oost, timezone: Europe/Amsterdam, locale: nl}
wijken:
  - {code: heerlen, name: Heerlen, adjacent: []}
practices:
  - {code: heerlerbaan, name: Praktijk Heerlerbaan, wijk: heerlen, partners: []}
"""

# Who is who (see bot/permission_table.py): the own practice is Caberg in wijk Noordwest.
PEOPLE: dict[Persona, tuple[str | None, Role]] = {
    Persona.OTHER_WIJK: ("maasoever", Role.DOKTERSASSISTENT),
    Persona.SAME_WIJK: ("malberg", Role.DOKTERSASSISTENT),
    Persona.OWN_MANAGER: ("caberg", Role.PRAKTIJKMANAGER),
    Persona.OTHER_MANAGER: ("pottenberg", Role.PRAKTIJKMANAGER),
    Persona.STUDENT: (None, Role.MEDISCH_STUDENT),
}
OWN_PRACTICE = "caberg"
OWN_WIJK = "noordwest"


@dataclass
class World:
    """The running bot with the personas; helpers make the thing a row is about."""

    bot: Harness
    people: dict[Persona, SimUser]
    organiser: SimUser  # a second coordinator, who plans the meetings
    ids: dict[str, int] = field(default_factory=dict)  # practice and wijk ids by code
    extra: dict[str, SimUser] = field(default_factory=dict)  # people a test module adds
    fresh: bool = True  # set per cell: an allowed cell may change the thing it is about, so it gets its own
    row_key: str = ""
    _shared: dict[str, int] = field(default_factory=dict)
    _days: int = 0
    _strangers: int = 0

    @property
    def now(self) -> datetime:
        return self.bot.clock.now()

    @property
    def today(self) -> date:
        return self.now.astimezone(ZONE).date()

    async def person(self, persona: Persona) -> SimUser:
        """The persona; a stranger is new every time (an allowed join makes the last one a member)."""
        if persona is not Persona.STRANGER:
            return self.people[persona]
        self._strangers += 1
        stranger = self.bot.server.user(first_name=f"Vreemde{self._strangers}", language_code="nl")
        await stranger.send("/start")
        return stranger

    async def thing(self, make: Callable[[], Awaitable[int]], kind: str = "") -> int:
        """A fresh request, offer or meeting for an allowed cell; the denied cells of a row share one (a denied
        press changes nothing, and the walk checks exactly that), which keeps the walk fast."""
        if self.fresh:
            return await make()
        key = f"{self.row_key}:{kind or getattr(make, '__name__', '')}"
        if key not in self._shared:
            self._shared[key] = await make()
        return self._shared[key]

    async def lookalike(self, persona: Persona) -> SimUser:
        """A new person of the same kind, for a cell that would use the persona up (joining, deleting oneself)."""
        self._strangers += 1
        user = self.bot.server.user(first_name=f"Gelijke{self._strangers}", language_code="nl")
        if persona is Persona.STRANGER:
            await user.send("/start")
        elif persona is Persona.COORDINATOR:
            async with self.bot.session() as session:
                region = await resolve_region(session, "mh")
                await add_coordinator(session, now=self.now, telegram_user_id=user.id, region=region, language="nl")
            await user.send("/help")
        else:
            practice, role = PEOPLE.get(persona, ("heerlerbaan", Role.DOKTERSASSISTENT))
            region_code = "zl" if persona is Persona.OTHER_REGION else "mh"
            code = await self.invite_code(region_code, practice) if practice else await self._pool_code()
            await user.send(f"/start {code}")
            await user.press(user.last(), "Ja, aanmelden")
            if role is not Role.DOKTERSASSISTENT and practice is not None:
                found = await self.member(user)
                async with self.bot.session() as session:
                    await session.execute(delete(MemberRole).where(MemberRole.member_id == found.id))
                    session.add(MemberRole(member_id=found.id, role=role))
        await self.bot.dispatch()
        return user

    async def _pool_code(self) -> str:
        async with self.bot.session() as session:
            region = await resolve_region(session, "mh")
            invite = await create_invite(session, now=self.now, region=region, practice=None, role=Role.MEDISCH_STUDENT)
            return invite.code

    async def member(self, user: SimUser) -> Member:
        found = await self.bot.member(user)
        assert found is not None, user
        return found

    def next_day(self) -> date:
        """A different working day for each request, so that accepting one never collides with another."""
        self._days += 1
        day = self.today + timedelta(days=1 + self._days % 80)
        while day.weekday() >= 5:
            self._days += 1
            day = self.today + timedelta(days=1 + self._days % 80)
        return day

    async def request(
        self, author: Persona = Persona.OWN_MANAGER, role: NeededRole = NeededRole.DOKTERSASSISTENT
    ) -> int:
        """A fresh request of the own practice for a doktersassistent, morning and afternoon of one day (so the
        day-part picker shows); the same-wijk member is asked."""
        day = self.next_day()
        settings = self.bot.app.bot_data["runtime"].settings
        async with self.bot.session() as session:
            poster = await find_member(session, self.people[author].id)
            assert poster is not None and poster.practice is not None
            asked = await post_and_ask(
                session,
                now=self.now,
                zone=ZONE,
                waits=waits_of(settings),
                author=poster,
                practice=poster.practice,
                role_needed=role,
                urgency=Urgency.NORMAAL,
                slots=[SlotInput.for_daypart(day, part) for part in (Daypart.OCHTEND, Daypart.MIDDAG)],
                note=None,
            )
            request_id = asked.request.id
        await self.bot.dispatch()
        return request_id

    async def offer(self, *, accepted: bool = False, author: Persona = Persona.OWN_MANAGER) -> int:
        """A fresh request with an offer by the same-wijk member (accepted by the own manager if asked)."""
        request_id = await self.request(author)
        async with self.bot.session() as session:
            helper = await find_member(session, self.people[Persona.SAME_WIJK].id)
            request = await load_request_slots(session, request_id)
            made = await make_offer(session, now=self.now, member=helper, request=request, slot_ids=None)
            assert made.offer is not None, made
            offer_id = made.offer.id
            if accepted:
                manager = await find_member(session, self.people[Persona.OWN_MANAGER].id)
                done = await accept_offer(session, now=self.now, member=manager, offer_id=offer_id)
                assert done.offer is not None, done
        await self.bot.dispatch()
        return offer_id

    async def offer_status(self, offer_id: int) -> str:
        async with self.bot.session() as session:
            offer = await session.get(Offer, offer_id)
            assert offer is not None
            return offer.status

    async def occurrence(self, *, begun: bool = False) -> int:
        """A fresh meeting of the own wijk planned by the organiser, invitations sent; one date."""
        start = datetime.combine(self.today + timedelta(days=14), datetime.min.time()).replace(hour=19)
        spec = MeetingSpec(
            title="Wijkoverleg",
            start_local=start,
            duration_minutes=120,
            wijk_ids=[self.ids[OWN_WIJK]],
            location="Caberg 12",
        )
        async with self.bot.session() as session:
            organiser = await find_member(session, self.organiser.id)
            assert organiser is not None
            meeting = await create_meeting(
                session, now=self.now, region=organiser.region, author=organiser, spec=spec, key=None
            )
            occurrence_id = await session.scalar(
                select(MeetingOccurrence.id).where(MeetingOccurrence.meeting_id == meeting.id)
            )
            assert occurrence_id is not None
            if begun:  # as if the clock had moved on to the evening of the meeting
                await session.execute(
                    update(MeetingOccurrence)
                    .where(MeetingOccurrence.id == occurrence_id)
                    .values(starts_at=self.now - timedelta(hours=1), ends_at=self.now + timedelta(hours=1))
                )
        await self.bot.dispatch()
        return occurrence_id

    async def action_point(self) -> int:
        """An open action point of the own practice, recorded by the organiser after a meeting."""
        occurrence_id = await self.occurrence(begun=True)
        async with self.bot.session() as session:
            organiser = await find_member(session, self.organiser.id)
            occurrence = await load_occurrence(session, occurrence_id)
            assert organiser is not None and occurrence is not None
            point = await add_action_point(
                session,
                now=self.now,
                zone=ZONE,
                actor=organiser,
                occurrence=occurrence,
                text="Rooster rondsturen",
                practice_id=self.ids[OWN_PRACTICE],
                member_id=None,
                due_on=self.today + timedelta(days=20),
            )
            point_id = point.id
        await self.bot.dispatch()
        return point_id

    async def other_coordinator(self) -> SimUser:
        """A coordinator of the other region."""
        user = self.bot.server.user(first_name="Zoë", language_code="nl")
        async with self.bot.session() as session:
            region = await resolve_region(session, "zl")
            await add_coordinator(session, now=self.now, telegram_user_id=user.id, region=region, language="nl")
        await user.send("/help")
        return user

    async def invite_code(self, region_code: str = "mh", practice: str = OWN_PRACTICE) -> str:
        """A fresh invitation for a doktersassistent of the practice."""
        async with self.bot.session() as session:
            region = await resolve_region(session, region_code)
            found = await find_practice(session, region.id, practice)
            invite = await create_invite(
                session, now=self.now, region=region, practice=found, role=Role.DOKTERSASSISTENT
            )
            return invite.code

    async def group(self, *extra: SimUser, linked: bool = False) -> SimGroup:
        """A group with everyone in it (and the bot); linked to the own wijk if asked."""
        members = [*self.people.values(), self.organiser, *(u for u in extra if u not in self.people.values())]
        group = self.bot.server.group(title=f"Groep {uuid.uuid4().hex[:6]}", members=members)
        if linked:
            async with self.bot.session() as session:
                coordinator = await find_member(session, self.people[Persona.COORDINATOR].id)
                assert await link_group(
                    session, now=self.now, member=coordinator, chat_id=group.id, wijk_id=self.ids[OWN_WIJK]
                )
        return group

    async def unlink_groups(self) -> None:
        """Take every group link away again: otherwise each later request is posted in all of them, and the
        rate limiter (20 posts a minute per group, like Telegram) slows the walk down."""
        async with self.bot.session() as session:
            await session.execute(delete(WijkGroup))

    async def fingerprint(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table but PTB's own conversation state and the ids of handled updates (every update
        is recorded there, allowed or not): denied cells must change none of it."""
        tables: dict[str, list[tuple[Any, ...]]] = {}
        async with self.bot.session() as session:
            for table in Base.metadata.sorted_tables:
                if table.name in ("conversation_state", "handled_update"):
                    continue
                result = await session.execute(select(table))
                tables[table.name] = sorted((tuple(row) for row in result), key=repr)
        return tables


def anchor(user: SimUser, data: str | None = None) -> ChatMessage:
    """The message to press on: the one that carries this data, if the person has it, else their latest."""
    if data is not None:
        for message in reversed(user.messages(include_deleted=False)):
            if any(button.callback_data == data for row in message.buttons for button in row):
                return message
    return next(m for m in reversed(user.messages()) if not m.deleted)


async def build_world(bot: Harness) -> World:
    """Everyone joins through an invitation; the other region is imported after the first one is set up."""
    people: dict[Persona, SimUser] = {}
    names = {
        Persona.OTHER_WIJK: "Wim",
        Persona.SAME_WIJK: "Sanne",
        Persona.OWN_MANAGER: "Olivia",
        Persona.OTHER_MANAGER: "Pieter",
        Persona.STUDENT: "Stien",
    }
    for persona, (practice, role) in PEOPLE.items():
        user = bot.server.user(first_name=names[persona], language_code="nl")
        await bot.join(user, practice, role)
        people[persona] = user
    coordinator = bot.server.user(first_name="Corrie", language_code="nl")
    organiser = bot.server.user(first_name="Otto", language_code="nl")
    for user in (coordinator, organiser):
        await bot.make_coordinator(user)
        await user.send("/help")  # so the bot knows their names
    people[Persona.COORDINATOR] = coordinator
    async with bot.session() as session:
        await import_network(session, parse_network(OTHER_REGION))
        ids = {w.code: w.id for w in await session.scalars(select(Wijk))}
        region = await resolve_region(session, "mh")
        ids |= {code: (await find_practice(session, region.id, code)).id for code in ("caberg", "malberg")}  # type: ignore[union-attr]
    world = World(bot, people, organiser, ids)
    other = bot.server.user(first_name="Remco", language_code="nl")
    await other.send(f"/start {await world.invite_code('zl', 'heerlerbaan')}")
    await other.press(other.last(), "Ja, aanmelden")
    people[Persona.OTHER_REGION] = other
    stranger = bot.server.user(first_name="Vreemde", language_code="nl")
    await stranger.send("/start")
    people[Persona.STRANGER] = stranger
    return world


async def database_for_module(template: str, tmp: Path) -> AsyncIterator[str]:
    """A copy of the template database for a whole test module (the conftest's per-test fixture, widened)."""
    from tests.conftest import POSTGRES_URL, _admin, _with_database

    if POSTGRES_URL:
        name = f"wh_test_{uuid.uuid4().hex[:12]}"
        await _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        yield _with_database(POSTGRES_URL, name)
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        path = tmp / "wijkhulp.sqlite3"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"


async def running_world(template: str, tmp: Path) -> AsyncIterator[World]:
    """Server, database, bot and world for one module; unexpected refusals fail at the end as well."""
    server = TelegramServer()
    await server.start()
    try:
        async for url in database_for_module(template, tmp):
            async with running_bot(server, url, FakeClock()) as bot:
                # No sweeps on the wall clock (digest, escalation, closing): a digest written in the middle of a
                # denied cell would look like the cell changed something. The walk sends the outbox itself.
                assert bot.app.job_queue is not None
                for job in bot.app.job_queue.jobs():
                    job.schedule_removal()
                yield await build_world(bot)
    finally:
        await server.stop()
    server.check_refusals()
