"""Members: who someone is, their language, and the coordinators of a region."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.strategy_options import _AbstractLoad

from bot.services import audit
from bot.services.text import clean_name
from db.models import Member, MemberRole, Practice, Region, Role


class UnknownRegionError(LookupError):
    """No region matches; the message says which exist."""


def member_relations() -> tuple[_AbstractLoad, ...]:
    """What every member is loaded with: roles, region, practice and wijk (async code cannot lazy-load)."""
    # The one-to-ones joined into the member's own query; the roles (a list) in one more.
    return (
        selectinload(Member.role_rows),
        joinedload(Member.region),
        joinedload(Member.practice).joinedload(Practice.wijk),
    )


def one_member_relations() -> tuple[_AbstractLoad, ...]:
    """member_relations for a query of one member: the roles joined in as well, so that knowing who sent an
    update (every update does) is one statement, not two. (For lists, selectin stays: a join would repeat
    every member once per role.)"""
    return (
        joinedload(Member.role_rows),
        joinedload(Member.region),
        joinedload(Member.practice).joinedload(Practice.wijk),
    )


async def find_member(session: AsyncSession, telegram_user_id: int) -> Member | None:
    """The member with this Telegram user id, with roles, region, practice and wijk loaded."""
    statement = select(Member).where(Member.telegram_user_id == telegram_user_id).options(*one_member_relations())
    return (await session.scalars(statement)).unique().one_or_none()


async def find_member_by_id(session: AsyncSession, member_id: int) -> Member | None:
    """A member by their own id, with roles, region, practice and wijk loaded."""
    statement = select(Member).where(Member.id == member_id).options(*one_member_relations())
    return (await session.scalars(statement)).unique().one_or_none()


async def set_language(session: AsyncSession, member: Member, language: str) -> None:
    """Remember the member's language."""
    member.language = language
    await session.flush()


async def refresh_display_name(member: Member, display_name: str) -> None:
    """Keep the name as Telegram shows it, so that others see who offered."""
    display_name = clean_name(display_name)
    if display_name and member.display_name != display_name:
        member.display_name = display_name


async def resolve_region(session: AsyncSession, region_code: str | None) -> Region:
    """The region by code, or the only region when no code is given."""
    regions = list(await session.scalars(select(Region).order_by(Region.code)))
    if region_code is not None:
        for region in regions:
            if region.code == region_code:
                return region
        raise UnknownRegionError(region_code)
    if len(regions) != 1:
        raise UnknownRegionError(", ".join(r.code for r in regions) or "-")
    return regions[0]


async def add_coordinator(
    session: AsyncSession, *, now: datetime, telegram_user_id: int, region: Region, language: str
) -> tuple[Member, bool]:
    """Make someone a coordinator of the region; returns the member and whether anything changed."""
    member = await find_member(session, telegram_user_id)
    if member is None:
        member = Member(
            telegram_user_id=telegram_user_id,
            region_id=region.id,
            language=language,
            joined_at=now,
            role_rows=[],
        )
        session.add(member)
    elif Role.COORDINATOR in member.roles:
        return member, False
    member.role_rows.append(MemberRole(role=Role.COORDINATOR))
    await session.flush()
    await audit.record(
        session, at=now, action="coordinator.added", region_id=region.id, subject_type="member", subject_id=member.id
    )
    return member, True


async def add_role(session: AsyncSession, *, now: datetime, member: Member, role: Role, actor: Member | None) -> bool:
    """Give a member one more role (recorded in the audit log); False if they already had it."""
    if role in member.roles:
        return False
    member.role_rows.append(MemberRole(role=role))
    await session.flush()
    await audit.record(
        session,
        at=now,
        action="member.role_added",
        region_id=member.region_id,
        actor_member_id=actor.id if actor else None,
        subject_type="member",
        subject_id=member.id,
        details={"role": role.value},
    )
    return True


def normalise_phone(raw: str) -> str:
    """Keep a leading + and the digits; Telegram sends contacts with or without the +."""
    digits = "".join(ch for ch in raw if ch.isdigit())
    return ("+" + digits if raw.strip().startswith("+") or len(digits) > 10 else digits)[:32]


async def share_phone(session: AsyncSession, *, now: datetime, member: Member, phone: str) -> None:
    """Store the member's own number, shared with the people they arrange help with."""
    member.phone = normalise_phone(phone)
    member.share_phone = True
    await audit.record(
        session, at=now, action="member.phone_shared", region_id=member.region_id, actor_member_id=member.id
    )


async def stop_sharing_phone(session: AsyncSession, *, now: datetime, member: Member) -> None:
    """Forget the number altogether: not sharing means not storing."""
    member.phone = None
    member.share_phone = False
    await audit.record(
        session, at=now, action="member.phone_removed", region_id=member.region_id, actor_member_id=member.id
    )
