"""Hostile input, part 4: every typed step of /bijeenkomst (title, date, time, place, link, agenda, reminders)
and of an action point (what, by when, and the owner's name on its button and in the notices).

Properties: no error handler, no refusal, always an answer; refused input leaves nothing in the draft or the
database, accepted input is stored as typed (trimmed) and reaches the invitees (with the .ics file).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import func, select

from db.meetings import ActionPoint, Meeting
from db.models import Role
from handlers import actions
from handlers.meeting_form.base import DRAFT as MEETING_DRAFT
from handlers.meeting_form.draft import AGENDA, DATE, LINK, PLACE, REMIND, TIME, TITLE, MeetingDraft
from tests.e2e.hostile import as_stored, hostile_settings, nasty_name, nasty_text, watching_errors
from tests.e2e.meetings_helpers import Cast, cast, occurrences, plan, utc
from tests.harness import Harness
from tgserver.client import SimUser

# The typed steps in order, with a value each accepts, and the form's step (refused input leaves the draft there).
STEPS: list[tuple[str, str, int]] = [
    ("title", "Wijkoverleg Noordwest", TITLE),
    ("day", "di 15 dec", DATE),
    ("times", "19:00-21:00", TIME),
    ("place", "Gezondheidscentrum Caberg", PLACE),
    ("link", "https://meet.example.org/noordwest", LINK),
    ("agenda", "1. Waarneming\n2. Griepprik & logistiek", AGENDA),
]
STORED = {"title": "title", "place": "location", "link": "url", "agenda": "agenda"}


def meeting_draft(bot: Harness, user: SimUser) -> MeetingDraft:
    """The meeting form's draft as the bot keeps it."""
    return MeetingDraft.from_dict(user_draft(bot, user, MEETING_DRAFT))


def user_draft(bot: Harness, user: SimUser, key: str) -> dict[str, Any]:
    data = bot.app.user_data.get(user.id, {})
    found = data.get(key) or {}
    assert isinstance(found, dict)
    return found


async def count(bot: Harness, model: type[Any]) -> int:
    async with bot.session() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
async def people(bot: Harness) -> Cast:
    return await cast(bot)


FIELD_TEXT = st.one_of(
    nasty_text(),
    st.sampled_from(
        ["ma 31 feb", "31-02-2027", "15-12-2026", "25:00-26:00", "21:00-19:00", "19:00-19:05", "http://x", "geen"]
    ),
)


@hostile_settings(share=1 / 2)
@given(field=st.sampled_from([*(step for step, _, _ in STEPS), "reminders"]), text=FIELD_TEXT)
@example(field="title", text="\x00")
@example(field="place", text="\x00")
@example(field="agenda", text="\x00\n")
@example(field="agenda", text="1.\x00 Griepprik")  # a NUL once failed the whole update on PostgreSQL
async def test_meeting_steps(bot: Harness, people: Cast, field: str, text: str) -> None:
    corrie, anna = people.corrie, people.people.anna
    meetings_before = await count(bot, Meeting)
    with watching_errors() as watch:
        await corrie.send("/bijeenkomst")
        await corrie.press(corrie.last(), "Maastricht Noordwest")
        await corrie.press(corrie.last(), "Verder ›")
        for step, value, state in STEPS:
            typed = text if step == field else value
            before = len(corrie.messages())
            await corrie.send(typed)
            assert len(corrie.messages()) > before, f"no answer to {typed!r} at {step}"
            watch.check(bot.server, (step, typed))
            if step in STORED and typed.strip() and not as_stored(typed):
                assert meeting_draft(bot, corrie).next_step() == state, "only control characters: refused"
            if meeting_draft(bot, corrie).next_step() == state:
                assert step == field, f"the valid {value!r} was refused at {step}: {corrie.last().text}"
                await corrie.send("/annuleer")
                watch.check(bot.server, "/annuleer")
                assert await count(bot, Meeting) == meetings_before
                return
        await corrie.press(corrie.last(), "iedereen in de wijk")
        await corrie.press(corrie.last(), "Eenmalig")
        if field == "reminders":
            before = len(corrie.messages())
            await corrie.send(text)
            assert len(corrie.messages()) > before
            watch.check(bot.server, ("reminders", text))
            if meeting_draft(bot, corrie).next_step() == REMIND:
                await corrie.send("/annuleer")
                assert await count(bot, Meeting) == meetings_before
                return
        else:
            await corrie.press(corrie.last(), "7 d, 1 d, 2 u van tevoren")
        await corrie.press(corrie.last(), "✅ Plannen en uitnodigen")
        await bot.dispatch()
        watch.check(bot.server, ("plan", field, text))
        assert await count(bot, Meeting) == meetings_before + 1
        if field in STORED:
            async with bot.session() as session:
                meeting = await session.scalar(select(Meeting).order_by(Meeting.id.desc()).limit(1))
                assert meeting is not None
                assert getattr(meeting, STORED[field]) == as_stored(text)
        assert any(m.document is not None for m in anna.messages()[-3:]), "anna got the invitation and its .ics"


@pytest.fixture
async def running_meeting(bot: Harness, people: Cast) -> int:
    """A meeting of wijk Noordwest that has begun: action points can be recorded."""
    await plan(bot, people.corrie)
    await bot.dispatch()
    bot.clock.current = utc(2026, 12, 15, 19, 30)
    return (await occurrences(bot))[0].id


@hostile_settings(share=1 / 2)
@given(
    field=st.sampled_from(["text", "due"]),
    text=st.one_of(nasty_text(), st.sampled_from(["31-12", "31-02", "29-2-2027", "vandaag", "15-12-2026"])),
    owner_name=st.tuples(nasty_name(), st.one_of(st.none(), nasty_name())),
)
@example(field="text", text="\x00", owner_name=("Bea", None))
@example(field="text", text="Rooster", owner_name=("\x00", None))  # a name of nothing but control characters
async def test_action_point_steps(
    bot: Harness, people: Cast, running_meeting: int, field: str, text: str, owner_name: tuple[str, str | None]
) -> None:
    corrie = people.corrie
    owner = bot.server.user(first_name=owner_name[0], last_name=owner_name[1])
    points_before = await count(bot, ActionPoint)
    with watching_errors() as watch:
        await bot.join(owner, "malberg", Role.DOKTERSASSISTENT)
        await corrie.press_data(corrie.last(), f"v1:ma:{running_meeting}")
        before = len(corrie.messages())
        typed = text if field == "text" else "Rooster rondsturen"
        await corrie.send(typed)
        assert len(corrie.messages()) > before
        watch.check(bot.server, ("text", typed))
        if "text" not in user_draft(bot, corrie, actions.DRAFT):
            assert field == "text"
            await corrie.send("/annuleer")
            assert await count(bot, ActionPoint) == points_before
            return
        await corrie.press(corrie.last(), "Huisartsenpraktijk Malberg")
        # The owner's button carries their name (cut to fit), whatever it is.
        member = await bot.member(owner)
        assert member is not None
        [button] = [b for row in corrie.last().buttons for b in row if b.callback_data == f"v1:mt:m:{member.id}"]
        assert button.text.strip(), "a button label is never blank"
        await corrie.press_data(corrie.last(), f"v1:mt:m:{member.id}")
        watch.check(bot.server, ("owner", owner_name))
        due = text if field == "due" else "31-12"
        before = len(corrie.messages())
        await corrie.send(due)
        assert len(corrie.messages()) > before
        await bot.dispatch()
        watch.check(bot.server, ("due", due))
        stored = await count(bot, ActionPoint)
        if user_draft(bot, corrie, actions.DRAFT):
            assert field == "due" and stored == points_before, "a refused date stored nothing"
            await corrie.send("/annuleer")
            return
        assert stored == points_before + 1
        async with bot.session() as session:
            point = await session.scalar(select(ActionPoint).order_by(ActionPoint.id.desc()).limit(1))
            assert point is not None and point.text == as_stored(typed)
        assert owner.messages()[-1].text.startswith("📌 Nieuw actiepunt"), "the owner is told"
