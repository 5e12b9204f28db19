"""Invites: unguessable, expiring, counted deep-link codes, and joining with one.

A code is a bearer secret: only its SHA-256 is stored (as for a password reset token, a fast hash is enough
for 128 random bits), so a copy of the database or a backup holds no code anyone could still use. The code
itself exists only in the link that was handed out."""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.services import audit
from bot.services.meetings import invite_new_member
from bot.services.members import find_member
from bot.services.text import clean_name
from db.models import INVITABLE_ROLES, Invite, Member, MemberRole, Practice, Region, Role

MAX_USES = 500
MAX_EXPIRES_DAYS = 365
# Telegram allows 64 characters of [A-Za-z0-9_-] after ?start=; 16 random bytes give 22 of them.
CODE_BYTES = 16


class InviteError(ValueError):
    """An invite cannot be made as asked; the message names the problem."""


class InviteStatus(enum.Enum):
    """What a code is worth right now."""

    VALID = "valid"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED_UP = "used_up"


class JoinOutcome(enum.Enum):
    """What happened when someone confirmed an invite."""

    JOINED = "joined"
    ROLE_ADDED = "role_added"
    ALREADY_MEMBER = "already_member"
    OTHER_PRACTICE = "other_practice"
    OTHER_REGION = "other_region"


@dataclass(frozen=True)
class InviteCheck:
    """A code's status and, if it exists, the invite."""

    status: InviteStatus
    invite: Invite | None = None


@dataclass(frozen=True)
class NewInvite:
    """A new invite and its code: the only moment the code is known, to put in the link."""

    invite: Invite
    code: str


def code_hash(code: str) -> str:
    """What the database keeps of a code."""
    return hashlib.sha256(code.encode()).hexdigest()


@dataclass(frozen=True)
class JoinResult:
    """The outcome of a join, the invite's status if it was not valid, and the member."""

    check: InviteCheck
    outcome: JoinOutcome | None = None
    member: Member | None = None


def validate_invite_request(role: Role, practice: Practice | None, uses: int, expires_days: int) -> None:
    """Refuse an invite that would not make sense, before anything is written."""
    if role not in INVITABLE_ROLES:
        raise InviteError(f"role {role.value} cannot be invited")
    if practice is None:
        if role is not Role.MEDISCH_STUDENT:
            raise InviteError(f"role {role.value} needs a practice (--practice CODE)")
    elif role is Role.MEDISCH_STUDENT:
        raise InviteError("medisch-student joins the regional pool: leave out --practice")
    elif not practice.active:
        raise InviteError(f"practice {practice.code} is no longer in the network")
    if not 1 <= uses <= MAX_USES:
        raise InviteError(f"uses must be between 1 and {MAX_USES}")
    if not 1 <= expires_days <= MAX_EXPIRES_DAYS:
        raise InviteError(f"expires-days must be between 1 and {MAX_EXPIRES_DAYS}")


async def create_invite(
    session: AsyncSession,
    *,
    now: datetime,
    region: Region,
    practice: Practice | None,
    role: Role,
    uses: int = 1,
    expires_days: int = 14,
    created_by: Member | None = None,
) -> NewInvite:
    """Make a new invite code for a practice and role (or the student pool)."""
    validate_invite_request(role, practice, uses, expires_days)
    code = secrets.token_urlsafe(CODE_BYTES)
    invite = Invite(
        code_hash=code_hash(code),
        region_id=region.id,
        practice_id=practice.id if practice else None,
        role=role,
        max_uses=uses,
        use_count=0,
        expires_at=now + timedelta(days=expires_days),
        created_at=now,
        created_by_member_id=created_by.id if created_by else None,
    )
    session.add(invite)
    await session.flush()
    await audit.record(
        session,
        at=now,
        action="invite.created",
        region_id=region.id,
        actor_member_id=created_by.id if created_by else None,
        subject_type="invite",
        subject_id=invite.id,
        details={"role": role.value, "practice_id": invite.practice_id, "uses": uses},
    )
    return NewInvite(invite, code)


async def check_invite(session: AsyncSession, code: str, now: datetime) -> InviteCheck:
    """Look a code up and say whether it can still be used."""
    invite = await session.scalar(
        select(Invite)
        .where(Invite.code_hash == code_hash(code))
        .options(selectinload(Invite.practice).selectinload(Practice.wijk), selectinload(Invite.region))
    )
    if invite is None:
        return InviteCheck(InviteStatus.UNKNOWN)
    if invite.expires_at <= now:
        return InviteCheck(InviteStatus.EXPIRED, invite)
    if invite.use_count >= invite.max_uses:
        return InviteCheck(InviteStatus.USED_UP, invite)
    return InviteCheck(InviteStatus.VALID, invite)


def join_conflict(member: Member, invite: Invite) -> JoinOutcome | None:
    """Whether an existing member can take this invite: one region, one practice per person."""
    if member.region_id != invite.region_id:
        return JoinOutcome.OTHER_REGION
    if invite.practice_id is not None and member.practice_id not in (None, invite.practice_id):
        return JoinOutcome.OTHER_PRACTICE
    if invite.role in member.roles and invite.practice_id in (None, member.practice_id):
        return JoinOutcome.ALREADY_MEMBER
    return None


async def join_with_invite(
    session: AsyncSession,
    *,
    now: datetime,
    code: str,
    telegram_user_id: int,
    display_name: str,
    language: str,
) -> JoinResult:
    """Redeem an invite: make the person a member, or add the invite's role to them."""
    check = await check_invite(session, code, now)
    if check.status is not InviteStatus.VALID or check.invite is None:
        return JoinResult(check)
    invite = check.invite
    member = await find_member(session, telegram_user_id)
    if member is not None and (conflict := join_conflict(member, invite)) is not None:
        return JoinResult(check, conflict, member)

    # Count the use with a guarded UPDATE, so two people racing for the last use cannot both win.
    claimed = await session.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.use_count < Invite.max_uses)
        .values(use_count=Invite.use_count + 1)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return JoinResult(InviteCheck(InviteStatus.USED_UP, invite))

    outcome = JoinOutcome.ROLE_ADDED
    if member is None:
        outcome = JoinOutcome.JOINED
        member = Member(
            telegram_user_id=telegram_user_id,
            region_id=invite.region_id,
            language=language,
            display_name=clean_name(display_name),
            joined_at=now,
            role_rows=[],
        )
        session.add(member)
    member.practice_id = invite.practice_id if invite.practice_id is not None else member.practice_id
    member.role_rows.append(MemberRole(role=invite.role))
    await session.flush()
    await audit.record(
        session,
        at=now,
        action="member.joined" if outcome is JoinOutcome.JOINED else "member.role_added",
        region_id=invite.region_id,
        actor_member_id=member.id,
        subject_type="invite",
        subject_id=invite.id,
        details={"role": invite.role, "practice_id": invite.practice_id},
    )
    # Meetings already announced reach newcomers too, in this same transaction.
    await invite_new_member(session, now=now, member_id=member.id)
    session.expire(member)
    fresh = await find_member(session, telegram_user_id)
    return JoinResult(InviteCheck(InviteStatus.VALID, invite), outcome, fresh)
