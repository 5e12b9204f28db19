"""Reading the audit log: a coordinator's view of their own region, newest first, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.members import member_relations
from db.models import AuditEntry, Member, Wijk

PAGE_SIZE: Final = 10
MAX_PAGE: Final = 10_000

# A filter is a topic; each names the action codes (or their prefixes, ending in ".") it shows.
TOPICS: Final[dict[str, tuple[str, ...]]] = {
    "request": ("request.",),
    "offer": ("offer.",),
    "invite": ("invite.", "member.joined"),
    "role": ("member.role_", "coordinator."),
    "member": ("member.", "coordinator."),
    "meeting": ("meeting.",),
    "action": ("action.",),
    "group": ("group.",),
    "privacy": ("privacy.", "member.deleted", "member.exported", "member.data_"),
}
# What people may type after /audit, in either language, to pick a topic.
TOPIC_WORDS: Final[dict[str, str]] = {
    **{topic: topic for topic in TOPICS},
    "requests": "request",
    "verzoek": "request",
    "verzoeken": "request",
    "hulpvraag": "request",
    "offers": "offer",
    "aanbod": "offer",
    "invites": "invite",
    "uitnodiging": "invite",
    "uitnodigingen": "invite",
    "roles": "role",
    "rol": "role",
    "rollen": "role",
    "members": "member",
    "lid": "member",
    "leden": "member",
    "meetings": "meeting",
    "bijeenkomst": "meeting",
    "bijeenkomsten": "meeting",
    "actions": "action",
    "actiepunt": "action",
    "actiepunten": "action",
    "groups": "group",
    "groep": "group",
    "groepen": "group",
}


@dataclass(frozen=True)
class AuditPage:
    """One page of entries with the members they name (for their practice), and whether older ones exist."""

    entries: list[AuditEntry]
    members: dict[int, Member]
    wijken: dict[int, Wijk]
    page: int
    has_older: bool


def topic_of(word: str) -> str | None:
    """The topic a typed word names, or None."""
    return TOPIC_WORDS.get(word.strip().lower())


def _subject_ids(entries: list[AuditEntry], subject_type: str) -> set[int]:
    """The ids of the entries' subjects of one type."""
    return {entry.subject_id for entry in entries if entry.subject_type == subject_type and entry.subject_id}


async def audit_page(session: AsyncSession, *, region_id: int, topic: str | None, page: int) -> AuditPage:
    """Entries of one region, newest first; `page` 0 is the newest."""
    page = max(0, min(page, MAX_PAGE))
    statement = select(AuditEntry).where(AuditEntry.region_id == region_id)
    if topic is not None:
        conditions = [
            AuditEntry.action.startswith(code) if code.endswith((".", "_")) else AuditEntry.action == code
            for code in TOPICS[topic]
        ]
        statement = statement.where(or_(*conditions))
    rows = list(
        await session.scalars(
            statement.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).offset(page * PAGE_SIZE).limit(PAGE_SIZE + 1)
        )
    )
    entries = rows[:PAGE_SIZE]
    member_ids = {entry.actor_member_id for entry in entries if entry.actor_member_id is not None}
    member_ids |= _subject_ids(entries, "member")
    members = {}
    if member_ids:
        found = await session.scalars(select(Member).where(Member.id.in_(member_ids)).options(*member_relations()))
        members = {member.id: member for member in found}
    wijk_ids = _subject_ids(entries, "wijk")
    wijken = {}
    if wijk_ids:
        wijken = {wijk.id: wijk for wijk in await session.scalars(select(Wijk).where(Wijk.id.in_(wijk_ids)))}
    return AuditPage(entries, members, wijken, page, has_older=len(rows) > PAGE_SIZE)
