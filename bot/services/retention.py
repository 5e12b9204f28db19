"""Retention: free text that belonged to something now over is erased a set number of days later.

What counts as over, and from when the days are counted:
- a request's note: from when it was cancelled or closed by time, or, for a filled request, from the end of its
  last slot (the helper may need the note until the work is done);
- a meeting's agenda: from the end of its last date, or from when the whole meeting was cancelled;
- an action point's text: from when it was marked done.
Titles, places and links of meetings stay: they name the meeting in lists and calendars and are checked for
patient data when typed. Everything else about a request (its dates, who filled it) stays for the figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.meetings import ActionPoint, Meeting, MeetingOccurrence
from db.models import RequestStatus, ShortageRequest

BATCH: Final = 200
_OVER: Final = (RequestStatus.FILLED, RequestStatus.CANCELLED, RequestStatus.CLOSED)


@dataclass(frozen=True)
class Erased:
    """How many texts one batch erased, per kind."""

    notes: int = 0
    agendas: int = 0
    actions: int = 0

    @property
    def total(self) -> int:
        """All texts erased."""
        return self.notes + self.agendas + self.actions

    def __add__(self, other: Erased) -> Erased:
        return Erased(self.notes + other.notes, self.agendas + other.agendas, self.actions + other.actions)


async def _erase_notes(session: AsyncSession, cutoff: datetime, limit: int) -> int:
    """Request notes whose request has been over since before the cutoff."""
    ids = list(
        await session.scalars(
            select(ShortageRequest.id)
            .where(
                ShortageRequest.note.is_not(None),
                ShortageRequest.status.in_(_OVER),
                func.coalesce(ShortageRequest.closed_at, ShortageRequest.ends_at) <= cutoff,
            )
            .order_by(ShortageRequest.id)
            .limit(limit)
        )
    )
    if ids:
        await session.execute(update(ShortageRequest).where(ShortageRequest.id.in_(ids)).values(note=None))
    return len(ids)


async def _erase_agendas(session: AsyncSession, cutoff: datetime, limit: int) -> int:
    """Agendas of meetings cancelled, or whose last date ended, before the cutoff."""
    last_end = (
        select(func.max(MeetingOccurrence.ends_at))
        .where(MeetingOccurrence.meeting_id == Meeting.id)
        .correlate(Meeting)
        .scalar_subquery()
    )
    ids = list(
        await session.scalars(
            select(Meeting.id)
            .where(Meeting.agenda.is_not(None), or_(Meeting.cancelled_at <= cutoff, last_end <= cutoff))
            .order_by(Meeting.id)
            .limit(limit)
        )
    )
    if ids:
        await session.execute(update(Meeting).where(Meeting.id.in_(ids)).values(agenda=None))
    return len(ids)


async def _erase_actions(session: AsyncSession, cutoff: datetime, limit: int) -> int:
    """Texts of action points done before the cutoff (the column is required, so the text becomes empty)."""
    ids = list(
        await session.scalars(
            select(ActionPoint.id)
            .where(ActionPoint.done_at <= cutoff, ActionPoint.text != "")
            .order_by(ActionPoint.id)
            .limit(limit)
        )
    )
    if ids:
        await session.execute(update(ActionPoint).where(ActionPoint.id.in_(ids)).values(text=""))
    return len(ids)


async def erase_batch(session: AsyncSession, *, now: datetime, days: int, limit: int = BATCH) -> Erased:
    """Erase at most `limit` texts of each kind that are past their retention; running it again erases nothing
    more, so a crash or a second worker is harmless."""
    cutoff = now - timedelta(days=days)
    return Erased(
        notes=await _erase_notes(session, cutoff, limit),
        agendas=await _erase_agendas(session, cutoff, limit),
        actions=await _erase_actions(session, cutoff, limit),
    )
