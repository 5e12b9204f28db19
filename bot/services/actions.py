"""Action points (actiepunten): recorded after a meeting, owned by a practice or a person, reminded once (three
days before, or the day before for one due sooner), and whoever recorded it hears when it is done."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.permissions import OWNER_ROLES
from bot.services import audit
from bot.services.members import member_relations
from bot.services.notices import ActionAssigned, ActionDone, ActionDueSoon
from bot.services.outbox import enqueue
from bot.services.privacy import PatientDataKind, find_patient_data
from bot.services.text import clean_text, only_control_characters
from db.meetings import ActionPoint, DueStatus, Meeting, MeetingOccurrence, meeting_wijk
from db.models import Member, MemberRole, Practice, Role

log = logging.getLogger(__name__)

MAX_TEXT = 500
REMIND_DAYS_BEFORE = 3
REMIND_AT = time(9, 0)  # local: a reminder at night helps nobody
MAX_DUE_DAYS = 366
RECENTLY_DONE = timedelta(days=30)  # how long a done action point stays in the list, marked done


class ActionError(ValueError):
    """An action point that cannot be saved as it is; `code` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def check_action_text(text: str, today: date) -> str:
    """Logistics only: at most 500 characters and nothing that looks like patient data."""
    cleaned = clean_text(text).strip()
    if only_control_characters(text, cleaned):
        raise ActionError("only_control_characters")
    if not cleaned:
        raise ActionError("missing_text")
    if len(cleaned) > MAX_TEXT:
        raise ActionError("too_long")
    found = find_patient_data(cleaned, today, phone_numbers=True)
    if found is PatientDataKind.PHONE:
        raise ActionError("phone_number")
    if found is not None:
        raise ActionError("patient_data")
    return cleaned


def check_due(due_on: date, today: date) -> date:
    """A due date from today up to a year ahead."""
    if due_on < today:
        raise ActionError("past")
    if due_on > today + timedelta(days=MAX_DUE_DAYS):
        raise ActionError("too_far")
    return due_on


def remind_moment(due_on: date, now: datetime, zone: ZoneInfo) -> datetime | None:
    """When the owners are reminded: three days before at 09:00; for a point due sooner, the day before at 09:00.
    Never on the day it is recorded (they were just told) and never at night; None when no such day is left."""
    today = now.astimezone(zone).date()
    for days in (REMIND_DAYS_BEFORE, 1):
        day = due_on - timedelta(days=days)
        if day > today:
            return datetime.combine(day, REMIND_AT, zone)
    return None


async def owner_practices(session: AsyncSession, meeting: Meeting) -> list[Practice]:
    """The practices that can own an action point of this meeting: those of its wijken (or region)."""
    statement = select(Practice).where(Practice.region_id == meeting.region_id, Practice.active.is_(True))
    if not meeting.whole_region:
        statement = statement.where(
            Practice.wijk_id.in_(select(meeting_wijk.c.wijk_id).where(meeting_wijk.c.meeting_id == meeting.id))
        )
    return list(await session.scalars(statement.order_by(Practice.name)))


async def practice_people(session: AsyncSession, practice_id: int) -> list[Member]:
    """Members of a practice, by name, who could own an action point personally."""
    return list(
        await session.scalars(
            select(Member).where(Member.practice_id == practice_id).order_by(Member.display_name, Member.id)
        )
    )


async def owners(session: AsyncSession, point: ActionPoint) -> list[Member]:
    """Who is told and reminded: the person, or the practice's managers and GPs."""
    if point.owner_member_id is not None:
        member = await session.get(Member, point.owner_member_id)
        return [member] if member is not None else []
    roles = list(OWNER_ROLES)
    return list(
        await session.scalars(
            select(Member)
            .where(
                Member.practice_id == point.owner_practice_id,
                Member.id.in_(select(MemberRole.member_id).where(MemberRole.role.in_(roles))),
            )
            .order_by(Member.id)
        )
    )


async def add_action_point(
    session: AsyncSession,
    *,
    now: datetime,
    zone: ZoneInfo,
    actor: Member,
    occurrence: MeetingOccurrence,
    text: str,
    practice_id: int,
    member_id: int | None,
    due_on: date,
) -> ActionPoint:
    """Record an action point of a meeting that has begun; its owners are told in the same transaction."""
    today = now.astimezone(zone).date()
    if occurrence.starts_at > now:
        raise ActionError("not_yet")
    practices = {p.id: p for p in await owner_practices(session, occurrence.meeting)}
    practice = practices.get(practice_id)
    if practice is None:
        raise ActionError("bad_owner")
    if member_id is not None and member_id not in {m.id for m in await practice_people(session, practice_id)}:
        raise ActionError("bad_owner")
    remind = remind_moment(due_on, now, zone)
    point = ActionPoint(
        occurrence_id=occurrence.id,
        region_id=occurrence.meeting.region_id,
        wijk_id=practice.wijk_id,
        text=check_action_text(text, today),
        owner_practice_id=practice.id,
        owner_member_id=member_id,
        due_on=check_due(due_on, today),
        remind_at=remind or datetime.combine(due_on, REMIND_AT, zone),
        reminder_status=DueStatus.PENDING if remind is not None else DueStatus.SKIPPED,
        created_by_member_id=actor.id,
        created_at=now,
    )
    session.add(point)
    await session.flush()
    for owner in await owners(session, point):
        await enqueue(
            session,
            now=now,
            notice=ActionAssigned(action_id=point.id),
            chat_id=owner.telegram_user_id,
            member_id=owner.id,
        )
    await audit.record(
        session,
        at=now,
        action="action.created",
        region_id=point.region_id,
        actor_member_id=actor.id,
        subject_type="action_point",
        subject_id=point.id,
    )
    return point


async def load_action(session: AsyncSession, action_id: int | None) -> ActionPoint | None:
    """An action point with its meeting, owner practice and owner person."""
    if action_id is None:
        return None
    return await session.scalar(
        select(ActionPoint)
        .where(ActionPoint.id == action_id)
        .options(
            selectinload(ActionPoint.occurrence).selectinload(MeetingOccurrence.meeting),
            selectinload(ActionPoint.owner_practice).selectinload(Practice.wijk),
            selectinload(ActionPoint.owner_member).options(*member_relations()),
            selectinload(ActionPoint.wijk),
        )
        .execution_options(populate_existing=True)
    )


async def mark_done(session: AsyncSession, *, now: datetime, actor: Member, point: ActionPoint) -> bool:
    """Close an open action point (guarded: a double tap closes it once); False if it was already done."""
    changed = await session.execute(
        update(ActionPoint)
        .where(ActionPoint.id == point.id, ActionPoint.done_at.is_(None))
        .values(done_at=now, done_by_member_id=actor.id)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    await audit.record(
        session,
        at=now,
        action="action.done",
        region_id=point.region_id,
        actor_member_id=actor.id,
        subject_type="action_point",
        subject_id=point.id,
    )
    for member_id in await organisers(session, point):
        if member_id != actor.id:  # who marked it knows
            member = await session.get(Member, member_id)
            if member is not None and member.deleted_at is None:
                notice = ActionDone(action_id=point.id)
                await enqueue(session, now=now, notice=notice, chat_id=member.telegram_user_id, member_id=member.id)
    return True


async def organisers(session: AsyncSession, point: ActionPoint) -> list[int]:
    """Whoever recorded the action point and the organiser of its meeting, once each."""
    meeting_organiser = await session.scalar(
        select(Meeting.created_by_member_id)
        .join(MeetingOccurrence, MeetingOccurrence.meeting_id == Meeting.id)
        .where(MeetingOccurrence.id == point.occurrence_id)
    )
    found = [point.created_by_member_id, meeting_organiser]
    return list(dict.fromkeys(member_id for member_id in found if member_id is not None))


async def open_actions(session: AsyncSession, member: Member, *, now: datetime | None = None) -> list[ActionPoint]:
    """Open action points (and, given `now`, those done in the last RECENTLY_DONE, to be shown as done): a
    coordinator's whole region; otherwise those of my practice, my wijk, or mine."""
    shown: ColumnElement[bool] = ActionPoint.done_at.is_(None)
    if now is not None:
        shown = or_(shown, ActionPoint.done_at > now - RECENTLY_DONE)
    statement = select(ActionPoint.id).where(shown, ActionPoint.region_id == member.region_id)
    if not member.has_role(Role.COORDINATOR):
        mine = ActionPoint.owner_member_id == member.id
        if member.practice is not None:
            mine = mine | (ActionPoint.owner_practice_id == member.practice_id)
            mine = mine | (ActionPoint.wijk_id == member.practice.wijk_id)
        statement = statement.where(mine)
    order = (ActionPoint.done_at.is_not(None), ActionPoint.due_on, ActionPoint.id)  # the open ones first
    ids = list(await session.scalars(statement.order_by(*order).limit(50)))
    found = [await load_action(session, action_id) for action_id in ids]
    return [point for point in found if point is not None]


async def remind_actions_due(session: AsyncSession, *, now: datetime, limit: int = 100) -> int:
    """Queue each due action-point reminder once, to its owners; points already done are not reminded."""
    due = list(
        await session.scalars(
            select(ActionPoint)
            .where(ActionPoint.reminder_status == DueStatus.PENDING, ActionPoint.remind_at <= now)
            .order_by(ActionPoint.remind_at, ActionPoint.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    sent = 0
    for point in due:
        useless = point.done_at is not None
        status = DueStatus.SKIPPED if useless else DueStatus.DONE
        claimed = await session.execute(
            update(ActionPoint)
            .where(ActionPoint.id == point.id, ActionPoint.reminder_status == DueStatus.PENDING)
            .values(reminder_status=status)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1 or useless:  # type: ignore[attr-defined]
            continue
        for owner in await owners(session, point):
            await enqueue(
                session,
                now=now,
                notice=ActionDueSoon(action_id=point.id),
                chat_id=owner.telegram_user_id,
                member_id=owner.id,
            )
        sent += 1
    return sent
