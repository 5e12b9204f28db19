"""Meeting figures per wijk and for the region: dates held, invited, answers, action points open and overdue."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.figures import Level, Period
from db.meetings import ActionPoint, Meeting, MeetingInvitee, MeetingOccurrence, OccurrenceStatus, meeting_wijk


@dataclass(frozen=True)
class MeetingFigures:
    """A unit's meetings held in a period: the dates that took place (scheduled, begun before now)."""

    level: Level
    unit_id: int
    held: int = 0
    invited: int = 0
    answers: dict[str, int] = field(default_factory=dict)  # y, n, m, and "none" for no answer
    action_points: int = 0
    open_points: int = 0
    overdue_points: int = 0  # open, and their due day has passed


async def meeting_figures(
    session: AsyncSession, *, region_id: int, period: Period, now: datetime, today: date, level: Level
) -> list[MeetingFigures]:
    """Per wijk (a region-wide meeting counts for each of its wijken) or for the whole region (each date once)."""
    by_wijk = level is Level.WIJK
    key = meeting_wijk.c.wijk_id if by_wijk else literal(region_id)
    held = (
        select(key.label("unit"), MeetingOccurrence.id.label("occurrence"))
        .join(Meeting, Meeting.id == MeetingOccurrence.meeting_id)
        .where(
            Meeting.region_id == region_id,
            MeetingOccurrence.status == OccurrenceStatus.SCHEDULED,
            MeetingOccurrence.starts_at >= period.start,
            MeetingOccurrence.starts_at < min(period.end, now),
        )
    )
    if by_wijk:
        held = held.join(meeting_wijk, meeting_wijk.c.meeting_id == Meeting.id)
    held_rows = held.distinct().subquery()
    rows: dict[int, dict[str, Any]] = {}

    def put(unit: int, name: str, value: Any) -> None:
        rows.setdefault(int(unit), {})[name] = value

    dates = select(held_rows.c.unit, func.count(held_rows.c.occurrence)).group_by(held_rows.c.unit)
    for unit, count in (await session.execute(dates)).all():
        put(unit, "held", count)
    answers = (
        select(held_rows.c.unit, MeetingInvitee.answer, func.count(MeetingInvitee.id))
        .join(MeetingInvitee, MeetingInvitee.occurrence_id == held_rows.c.occurrence)
        .group_by(held_rows.c.unit, MeetingInvitee.answer)
    )
    for unit, answer, count in (await session.execute(answers)).all():
        found = rows.setdefault(int(unit), {})
        found.setdefault("answers", {})["none" if answer is None else str(answer.value)] = count
        found["invited"] = found.get("invited", 0) + count
    is_open = ActionPoint.done_at.is_(None)
    points = (
        select(
            held_rows.c.unit,
            func.count(ActionPoint.id),
            func.coalesce(func.sum(case((is_open, 1), else_=0)), 0),
            func.coalesce(func.sum(case(((is_open & (ActionPoint.due_on < today)), 1), else_=0)), 0),
        )
        .join(ActionPoint, ActionPoint.occurrence_id == held_rows.c.occurrence)
        .group_by(held_rows.c.unit)
    )
    for unit, total, still_open, overdue in (await session.execute(points)).all():
        put(unit, "action_points", total)
        put(unit, "open_points", int(still_open))
        put(unit, "overdue_points", int(overdue))
    return [MeetingFigures(level=level, unit_id=unit, **values) for unit, values in sorted(rows.items())]
