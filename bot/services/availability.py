"""What a member declares about helping: recurring day-parts, days off, reach, pause, quiet hours, roles."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from db.models import Availability, AvailabilityException, Daypart, Member, MemberRole

REACHES = ("wijk", "adjacent", "region")
WORKING_DAYS = range(5)  # Monday to Friday: practices' opening days
MAX_DAYS_OFF_AHEAD = 365
_CLOCK_RANGE = re.compile(r"^\s*([01]?\d|2[0-3])[:.]([0-5]\d)\s*[-–—]\s*([01]?\d|2[0-3])[:.]([0-5]\d)\s*$")


class AvailabilityError(ValueError):
    """Input that cannot be used; `code` says why, for a translated message."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Declared:
    """Everything a member has declared, for showing it."""

    slots: frozenset[tuple[int, Daypart]]
    days_off: tuple[date, ...]


async def declared(session: AsyncSession, member: Member, today: date) -> Declared:
    """The member's recurring day-parts and coming days off."""
    slots = await session.scalars(select(Availability).where(Availability.member_id == member.id))
    days = await session.scalars(
        select(AvailabilityException.day)
        .where(AvailabilityException.member_id == member.id, AvailabilityException.day >= today)
        .order_by(AvailabilityException.day)
    )
    return Declared(frozenset((row.weekday, row.daypart) for row in slots), tuple(days))


async def toggle_slot(session: AsyncSession, member: Member, weekday: int, daypart: str) -> None:
    """Switch one recurring day-part on or off."""
    if weekday not in WORKING_DAYS or daypart not in (Daypart.OCHTEND, Daypart.MIDDAG):
        raise AvailabilityError("unknown_slot")
    part = Daypart(daypart)
    existing = await session.get(Availability, (member.id, weekday, part))
    if existing is None:
        session.add(Availability(member_id=member.id, weekday=weekday, daypart=part))
    else:
        await session.delete(existing)


def set_reach(member: Member, reach: str) -> None:
    """How far the member will go: own wijk, adjacent wijken, the whole region."""
    if reach not in REACHES:
        raise AvailabilityError("unknown_reach")
    member.reach = reach


def toggle_lendable(member: Member, role: str) -> None:
    """Whether the member helps in one of their roles; at least one stays on."""
    rows: dict[str, MemberRole] = {row.role: row for row in member.role_rows}
    if role not in rows:
        raise AvailabilityError("unknown_role")
    if rows[role].lendable and sum(1 for row in rows.values() if row.lendable) == 1:
        raise AvailabilityError("last_role")
    rows[role].lendable = not rows[role].lendable


async def add_days_off(session: AsyncSession, member: Member, days: list[date], today: date) -> int:
    """Days the member cannot help; past or far-off days are refused."""
    for day in days:
        if day < today:
            raise AvailabilityError("past")
        if day > today + timedelta(days=MAX_DAYS_OFF_AHEAD):
            raise AvailabilityError("too_far")
    added = 0
    for day in sorted(set(days)):
        if await session.get(AvailabilityException, (member.id, day)) is None:
            session.add(AvailabilityException(member_id=member.id, day=day))
            added += 1
    return added


async def remove_day_off(session: AsyncSession, member: Member, day: date) -> None:
    """Take a day off the list again."""
    await session.execute(
        delete(AvailabilityException).where(
            AvailabilityException.member_id == member.id, AvailabilityException.day == day
        )
    )


async def pause(session: AsyncSession, *, now: datetime, member: Member, until: date | None, today: date) -> None:
    """Mute requests until a date (inclusive), or unmute with None."""
    if until is not None and until < today:
        raise AvailabilityError("past")
    if until is not None and until > today + timedelta(days=MAX_DAYS_OFF_AHEAD):
        raise AvailabilityError("too_far")
    member.paused_until = until
    await audit.record(
        session,
        at=now,
        action="member.paused" if until else "member.unpaused",
        region_id=member.region_id,
        actor_member_id=member.id,
    )


DEFAULT_QUIET = ("20:00", "07:30")
QUIET_OFF_WORDS = frozenset({"uit", "off", "geen", "none"})
QUIET_ON_WORDS = frozenset({"aan", "on"})


def has_quiet_hours(member: Member) -> bool:
    """Whether normal requests wait for the end of the member's quiet hours (off: start and end are equal)."""
    return member.quiet_start != member.quiet_end


def in_quiet_hours(member: Member, moment: datetime, zone: ZoneInfo) -> datetime | None:
    """When the member's quiet hours end, if `moment` falls in them; None otherwise."""
    local = moment.astimezone(zone)
    start, end = time.fromisoformat(member.quiet_start), time.fromisoformat(member.quiet_end)
    now = local.time()
    quiet = (now >= start or now < end) if start > end else (start <= now < end)
    if not quiet:
        return None
    day = local.date() if now < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, zone)


def set_quiet_hours(member: Member, text: str) -> None:
    """Quiet hours as `21:00-07:00` (over midnight is the usual case), `uit` to switch them off (every request
    comes at once), `aan` for the default hours again; a zero-length range is refused."""
    word = text.strip().lower()
    if word in QUIET_OFF_WORDS:
        member.quiet_start = member.quiet_end = "00:00"  # equal: never quiet (bot/services/ladder.py)
        return
    if word in QUIET_ON_WORDS:
        member.quiet_start, member.quiet_end = DEFAULT_QUIET
        return
    match = _CLOCK_RANGE.match(text)
    if match is None:
        raise AvailabilityError("unreadable_time")
    start = f"{int(match.group(1)):02d}:{match.group(2)}"
    end = f"{int(match.group(3)):02d}:{match.group(4)}"
    if start == end:
        raise AvailabilityError("empty_range")
    member.quiet_start, member.quiet_end = start, end
