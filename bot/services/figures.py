"""Figures about how practices help each other: per period, per region, wijk or practice, never per person.

Every count is a SQL aggregate (GROUP BY over the indexed request columns); only the per-request durations of the
period's own requests come back as rows, for the median and p90, which SQLite cannot compute. A request belongs to
the period it was posted in (in the region's time zone), with all its day-parts, also those in the next month, so
that a request is counted once and its fill is not split over two reports.
"""

from __future__ import annotations

import enum
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from db.models import (
    Member,
    Offer,
    OfferSlot,
    OfferStatus,
    Practice,
    RequestRecipient,
    RequestSlot,
    RequestStatus,
    ShortageRequest,
    Wijk,
)

LATE = timedelta(hours=24)

# The ladder's rounds as RequestRecipient stores them; 0 is someone who joined through the wijk group's post.
ROUNDS = (0, 1, 2, 3, 4)
OFFER_STATES = tuple(OfferStatus)


# Any select over the request table, whatever its columns (Select is variadic in SQLAlchemy 2.1).
Q = TypeVar("Q", bound=Select[*tuple[Any, ...]])


class Level(enum.StrEnum):
    """What one row of figures is about."""

    REGION = "region"
    WIJK = "wijk"
    PRACTICE = "practice"
    ROLE = "role"  # the role asked for, across the region (or the wijk)
    URGENCY = "urgency"  # spoed or normaal


@dataclass(frozen=True)
class Period:
    """Half-open [start, end) in UTC; month-aligned in the region's time zone, whatever the DST weekends do."""

    start: datetime
    end: datetime
    first_day: date  # local, for labels
    last_day: date


def month_period(year: int, month: int, zone: ZoneInfo) -> Period:
    """The local calendar month, as UTC instants."""
    first = date(year, month, 1)
    after = date(year + month // 12, month % 12 + 1, 1)
    return _local_days(first, after, zone)


def months_period(last_year: int, last_month: int, count: int, zone: ZoneInfo) -> Period:
    """`count` whole months ending with the given one (the last 12 months: count=12)."""
    index = last_year * 12 + last_month - 1 - (count - 1)
    first = date(index // 12, index % 12 + 1, 1)
    after = date(last_year + last_month // 12, last_month % 12 + 1, 1)
    return _local_days(first, after, zone)


def _local_days(first: date, after: date, zone: ZoneInfo) -> Period:
    """[first, after) local days as a Period."""
    start = datetime.combine(first, time(0), zone)
    end = datetime.combine(after, time(0), zone)
    return Period(start=start, end=end, first_day=first, last_day=date.fromordinal(after.toordinal() - 1))


@dataclass(frozen=True)
class Duration:
    """Minutes from posting: the median and the 90th percentile (nearest rank) over `count` requests."""

    count: int
    median_minutes: float | None
    p90_minutes: float | None


def duration_of(minutes: Iterable[float]) -> Duration:
    """Median and nearest-rank p90 of some durations; None when there are none."""
    values = sorted(minutes)
    if not values:
        return Duration(0, None, None)
    p90 = values[max(0, math.ceil(0.9 * len(values)) - 1)]
    return Duration(len(values), float(statistics.median(values)), float(p90))


@dataclass(frozen=True)
class Figures:
    """One unit's figures for one period."""

    level: Level
    unit_id: int | str  # a region, wijk or practice id; a role's code; an urgency
    practices: int  # practices the unit holds (role, urgency: that asked): a figure about fewer than three could
    # point at one
    requests: int = 0
    dayparts_asked: int = 0
    dayparts_filled: int = 0
    dayparts_cancelled: int = 0  # not filled when their request was cancelled
    cancelled: dict[str, int] = field(default_factory=dict)  # requests cancelled, by reason
    first_offer: Duration = Duration(0, None, None)
    fill: Duration = Duration(0, None, None)  # requests filled whole, to their last day-part
    ladder: dict[int | None, int] = field(default_factory=dict)  # day-parts filled, by the helper's round
    offers: dict[str, int] = field(default_factory=dict)  # offers made, by where they ended
    late_withdrawals: int = 0  # offers withdrawn within 24 hours of their first day-part
    given: int = 0  # day-parts its members filled elsewhere (practices; wijken: outside the wijk)
    received: int = 0  # day-parts filled for it by others from outside

    @property
    def dayparts_unfilled(self) -> int:
        """Asked, not filled and not called off."""
        return self.dayparts_asked - self.dayparts_filled - self.dayparts_cancelled

    @property
    def fill_rate(self) -> float | None:
        """Filled / (asked - called off); None when nothing was asked."""
        wanted = self.dayparts_asked - self.dayparts_cancelled
        return self.dayparts_filled / wanted if wanted else None

    @property
    def offers_made(self) -> int:
        """Every offer, whatever became of it."""
        return sum(self.offers.values())

    @property
    def empty(self) -> bool:
        """Nothing was asked in the period."""
        return self.requests == 0


@dataclass(frozen=True)
class Lending:
    """Day-parts of one role that people of one practice filled for another (None: the student pool or a former
    member, who belong to no practice now)."""

    helper_practice_id: int | None
    helper_wijk_id: int | None
    practice_id: int
    wijk_id: int
    role: str
    dayparts: int


def _as_utc(value: datetime | str) -> datetime:
    """A min() over a datetime column through a subquery: SQLite hands back its text, PostgreSQL an aware value."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _plain(unit: Any) -> int | str:
    """A unit key as an id or a plain string (an Urgency is stored as its value)."""
    return unit if isinstance(unit, int) else str(unit.value if isinstance(unit, enum.Enum) else unit)


def _unit_key(level: Level) -> InstrumentedAttribute[Any]:
    """The GROUP BY column of a level."""
    if level is Level.ROLE:
        return ShortageRequest.role_needed
    if level is Level.URGENCY:
        return ShortageRequest.urgency
    if level is Level.WIJK:
        return ShortageRequest.wijk_id
    if level is Level.PRACTICE:
        return ShortageRequest.practice_id
    return ShortageRequest.region_id


def _scoped(query: Q, region_id: int, period: Period, wijk_id: int | None) -> Q:
    """The period's requests of the region, or of one wijk (the filter walks ix on region, then created_at)."""
    query = query.where(
        ShortageRequest.region_id == region_id,
        ShortageRequest.created_at >= period.start,
        ShortageRequest.created_at < period.end,
    )
    return query.where(ShortageRequest.wijk_id == wijk_id) if wijk_id is not None else query


async def _units(session: AsyncSession, region_id: int, level: Level, wijk_id: int | None) -> dict[int, int]:
    """Every unit of the level (also the quiet ones), with how many active practices it holds; none for roles and
    urgencies, which have a row when something was asked."""
    if level in (Level.ROLE, Level.URGENCY):
        return {}
    if level is Level.PRACTICE:
        query = select(Practice.id, literal(1)).where(Practice.region_id == region_id, Practice.active)
        if wijk_id is not None:
            query = query.where(Practice.wijk_id == wijk_id)
    elif level is Level.WIJK:
        query = (
            select(Wijk.id, func.count(Practice.id))
            .outerjoin(Practice, and_(Practice.wijk_id == Wijk.id, Practice.active))
            .where(Wijk.region_id == region_id, Wijk.active)
            .group_by(Wijk.id)
        )
        if wijk_id is not None:
            query = query.where(Wijk.id == wijk_id)
    else:
        query = select(literal(region_id), func.count(Practice.id)).where(
            Practice.region_id == region_id, Practice.active
        )
        if wijk_id is not None:
            query = query.where(Practice.wijk_id == wijk_id)
    return {int(unit): int(count) for unit, count in (await session.execute(query)).all()}


async def figures(
    session: AsyncSession, *, region_id: int, period: Period, level: Level, wijk_id: int | None = None
) -> list[Figures]:
    """The period's figures for every unit of the level in the region (or in one wijk), in unit id order."""
    key = _unit_key(level).label("unit")
    units = await _units(session, region_id, level, wijk_id)
    if level is Level.REGION:
        units = {region_id: next(iter(units.values()), 0)}
    rows: dict[Any, dict[str, Any]] = {unit: {"practices": count} for unit, count in units.items()}

    def put(unit: Any, name: str, value: Any) -> None:
        rows.setdefault(unit, {"practices": 0})[name] = value

    requests = select(key, func.count(ShortageRequest.id), func.count(ShortageRequest.practice_id.distinct()))
    requests = requests.group_by(key)
    for unit, count, askers in (await session.execute(_scoped(requests, region_id, period, wijk_id))).all():
        put(unit, "requests", count)
        if level in (Level.ROLE, Level.URGENCY):
            put(unit, "practices", askers)

    called_off = and_(ShortageRequest.status == RequestStatus.CANCELLED, RequestSlot.filled_offer_id.is_(None))
    slots = (
        select(
            key,
            func.count(RequestSlot.id),
            func.count(RequestSlot.filled_offer_id),
            func.coalesce(func.sum(case((called_off, 1), else_=0)), 0),
        )
        .join(RequestSlot, RequestSlot.request_id == ShortageRequest.id)
        .group_by(key)
    )
    for unit, asked, filled, cancelled in (await session.execute(_scoped(slots, region_id, period, wijk_id))).all():
        put(unit, "dayparts_asked", asked)
        put(unit, "dayparts_filled", filled)
        put(unit, "dayparts_cancelled", int(cancelled))

    await _grouped_counts(session, rows, region_id, period, wijk_id, level)
    await _durations(session, rows, region_id, period, wijk_id, level)
    await _balance(session, rows, region_id, period, wijk_id, level)
    return [Figures(level=level, unit_id=_plain(unit), **values) for unit, values in sorted(rows.items())]


async def _grouped_counts(
    session: AsyncSession,
    rows: dict[Any, dict[str, Any]],
    region_id: int,
    period: Period,
    wijk_id: int | None,
    level: Level,
) -> None:
    """Cancellations by reason, offers by outcome, and filled day-parts by the helper's round."""
    key = _unit_key(level).label("unit")
    cancelled = (
        select(key, ShortageRequest.cancel_reason, func.count(ShortageRequest.id))
        .where(ShortageRequest.status == RequestStatus.CANCELLED)
        .group_by(key, ShortageRequest.cancel_reason)
    )
    for unit, reason, count in (await session.execute(_scoped(cancelled, region_id, period, wijk_id))).all():
        rows.setdefault(unit, {"practices": 0}).setdefault("cancelled", {})[reason or "unknown"] = count

    offers = (
        select(key, Offer.status, func.count(Offer.id))
        .join(Offer, Offer.request_id == ShortageRequest.id)
        .group_by(key, Offer.status)
    )
    for unit, status, count in (await session.execute(_scoped(offers, region_id, period, wijk_id))).all():
        rows.setdefault(unit, {"practices": 0}).setdefault("offers", {})[str(status)] = count

    # Withdrawn within a day of the first day-part it covered: the practice is then left with little time. The
    # first day-part is looked up per withdrawn offer of the period (the offer_slot key, then request_slot's):
    # a subquery grouping every offer's slots read the whole table, 1.5 s of a monthly report at national size.
    first_start = (
        select(func.min(RequestSlot.start_at))
        .join(OfferSlot, OfferSlot.slot_id == RequestSlot.id)
        .where(OfferSlot.offer_id == Offer.id)
        .correlate(Offer)
        .scalar_subquery()
    )
    late = (
        select(key, Offer.decided_at, first_start.label("first_start"))
        .join(Offer, Offer.request_id == ShortageRequest.id)
        .where(Offer.status == OfferStatus.WITHDRAWN, Offer.decided_at.is_not(None))
    )
    # Compared here rather than in SQL: date arithmetic differs between SQLite and PostgreSQL, and these are the
    # period's withdrawn offers only.
    for unit, decided, first_start in (await session.execute(_scoped(late, region_id, period, wijk_id))).all():
        if first_start is not None and decided > _as_utc(first_start) - LATE:
            row = rows.setdefault(unit, {"practices": 0})
            row["late_withdrawals"] = row.get("late_withdrawals", 0) + 1

    # The round the filling helper was asked in; none when they found it some other way or their data is gone.
    ladder = (
        select(key, RequestRecipient.round, func.count(RequestSlot.id))
        .join(RequestSlot, RequestSlot.request_id == ShortageRequest.id)
        .join(Offer, Offer.id == RequestSlot.filled_offer_id)
        .outerjoin(
            RequestRecipient,
            and_(RequestRecipient.request_id == Offer.request_id, RequestRecipient.member_id == Offer.member_id),
        )
        .group_by(key, RequestRecipient.round)
    )
    for unit, round_, count in (await session.execute(_scoped(ladder, region_id, period, wijk_id))).all():
        rows.setdefault(unit, {"practices": 0}).setdefault("ladder", {})[round_] = count


async def _durations(
    session: AsyncSession,
    rows: dict[Any, dict[str, Any]],
    region_id: int,
    period: Period,
    wijk_id: int | None,
    level: Level,
) -> None:
    """Time to the first offer and to the last day-part filled: one row per request of the period, no more."""
    key = _unit_key(level).label("unit")
    first = (
        select(key, ShortageRequest.created_at, func.min(Offer.created_at))
        .join(Offer, Offer.request_id == ShortageRequest.id)
        .group_by(ShortageRequest.id, key, ShortageRequest.created_at)
    )
    # Filled whole: every day-part has its offer; the last of those offers' acceptances is when it filled.
    filled = (
        select(key, ShortageRequest.created_at, func.max(Offer.decided_at))
        .join(RequestSlot, RequestSlot.request_id == ShortageRequest.id)
        .outerjoin(Offer, Offer.id == RequestSlot.filled_offer_id)
        .group_by(ShortageRequest.id, key, ShortageRequest.created_at)
        .having(func.count(RequestSlot.id) == func.count(RequestSlot.filled_offer_id))
        .having(func.count(Offer.decided_at) > 0)
    )
    for name, query in (("first_offer", first), ("fill", filled)):
        minutes: dict[int, list[float]] = defaultdict(list)
        for unit, posted, reached in (await session.execute(_scoped(query, region_id, period, wijk_id))).all():
            if reached is not None:
                minutes[unit].append((reached - posted).total_seconds() / 60)
        for unit, values in minutes.items():
            rows.setdefault(unit, {"practices": 0})[name] = duration_of(values)


def _lending_query(region_id: int, period: Period, wijk_id: int | None) -> Select[*tuple[Any, ...]]:
    """Filled day-parts by helper practice, requesting practice and role."""
    helper_practice = aliased(Practice)
    query = (
        select(
            Member.practice_id,
            helper_practice.wijk_id,
            ShortageRequest.practice_id,
            ShortageRequest.wijk_id,
            ShortageRequest.role_needed,
            func.count(RequestSlot.id),
        )
        .join(RequestSlot, RequestSlot.request_id == ShortageRequest.id)
        .join(Offer, Offer.id == RequestSlot.filled_offer_id)
        .outerjoin(Member, Member.id == Offer.member_id)
        .outerjoin(helper_practice, helper_practice.id == Member.practice_id)
        .group_by(
            Member.practice_id,
            helper_practice.wijk_id,
            ShortageRequest.practice_id,
            ShortageRequest.wijk_id,
            ShortageRequest.role_needed,
        )
    )
    return _scoped(query, region_id, period, wijk_id)


async def lending(
    session: AsyncSession, *, region_id: int, period: Period, wijk_id: int | None = None
) -> list[Lending]:
    """Who helped whom: day-parts filled between practices (for one wijk: those its practices asked for)."""
    result = await session.execute(_lending_query(region_id, period, wijk_id))
    return [Lending(*row) for row in result.all()]


async def _balance(
    session: AsyncSession,
    rows: dict[Any, dict[str, Any]],
    region_id: int,
    period: Period,
    wijk_id: int | None,
    level: Level,
) -> None:
    """Given and received day-parts across the unit's border (solidarity, shown, never used to rank)."""
    if level not in (Level.PRACTICE, Level.WIJK):
        return
    # Given counts the help by the unit's people to others, also to requests outside the wijk filter.
    cells = await lending(session, region_id=region_id, period=period, wijk_id=None)
    for cell in cells:
        helper = cell.helper_practice_id if level is Level.PRACTICE else cell.helper_wijk_id
        asker = cell.practice_id if level is Level.PRACTICE else cell.wijk_id
        if helper == asker:
            continue
        if asker in rows:
            rows[asker]["received"] = rows[asker].get("received", 0) + cell.dayparts
        if helper is not None and helper in rows:
            rows[helper]["given"] = rows[helper].get("given", 0) + cell.dayparts


def lending_matrix(
    cells: Iterable[Lending], level: Level, role: str | None = None
) -> dict[tuple[int | None, int, str], int]:
    """Day-parts lent as (helping unit, helped unit, role) -> day-parts, between practices or between wijken
    (None: the student pool or former members); one role, or all."""
    matrix: dict[tuple[int | None, int, str], int] = defaultdict(int)
    for cell in cells:
        if role is not None and cell.role != role:
            continue
        if level is Level.PRACTICE:
            matrix[cell.helper_practice_id, cell.practice_id, cell.role] += cell.dayparts
        else:
            matrix[cell.helper_wijk_id, cell.wijk_id, cell.role] += cell.dayparts
    return dict(matrix)


@dataclass(frozen=True)
class OwnLending:
    """Day-parts of one role between one practice and another: lent by the practice's people to `other`
    (`given`), or filled for the practice by the other's people (received). `other` None: the student pool or a
    former member, who belong to no practice now."""

    given: bool
    other_code: str | None
    other_name: str | None
    role: str
    dayparts: int


async def own_lending(session: AsyncSession, *, practice: Practice, period: Period) -> list[OwnLending]:
    """One practice's own row of who helps whom, per role and partner: two grouped queries over the period's
    requests of its region that this practice asked for or helped with, never the rest of the region's pairs.
    The counterparts are the practices whose offers it accepted or that accepted its people's offers."""
    other = aliased(Practice)
    given = _scoped(
        select(other.code, other.name, ShortageRequest.role_needed, func.count(RequestSlot.id))
        .join(RequestSlot, RequestSlot.request_id == ShortageRequest.id)
        .join(Offer, Offer.id == RequestSlot.filled_offer_id)
        .join(Member, Member.id == Offer.member_id)
        .join(other, other.id == ShortageRequest.practice_id)
        .where(Member.practice_id == practice.id, ShortageRequest.practice_id != practice.id)
        .group_by(other.code, other.name, ShortageRequest.role_needed),
        practice.region_id,
        period,
        None,
    )
    received = _scoped(
        select(other.code, other.name, ShortageRequest.role_needed, func.count(RequestSlot.id))
        .join(RequestSlot, RequestSlot.request_id == ShortageRequest.id)
        .join(Offer, Offer.id == RequestSlot.filled_offer_id)
        .outerjoin(Member, Member.id == Offer.member_id)
        .outerjoin(other, other.id == Member.practice_id)
        .where(ShortageRequest.practice_id == practice.id)
        .where((Member.practice_id.is_(None)) | (Member.practice_id != practice.id))
        .group_by(other.code, other.name, ShortageRequest.role_needed),
        practice.region_id,
        period,
        None,
    )
    rows = [OwnLending(True, *row) for row in (await session.execute(given)).all()]
    rows += [OwnLending(False, *row) for row in (await session.execute(received)).all()]
    # Most day-parts first, then by the partner's code: the reader sees their main partners at the top.
    return sorted(rows, key=lambda row: (not row.given, -row.dayparts, row.other_code or "~", row.role))
