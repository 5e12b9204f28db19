"""Who may do what. Handlers ask these on every update, button presses included."""

from __future__ import annotations

from db.models import Member, Practice, Role, Wijk


def is_coordinator_of(member: Member | None, region_id: int) -> bool:
    """A coordinator acts for their own region only."""
    return member is not None and member.has_role(Role.COORDINATOR) and member.region_id == region_id


def may_invite_to(member: Member | None, practice: Practice | None, region_id: int) -> bool:
    """Coordinators make invites for any practice (or the pool) of their region."""
    if practice is not None and (practice.region_id != region_id or not practice.active):
        return False
    return is_coordinator_of(member, region_id)


def may_browse_wijk(member: Member | None, wijk: Wijk | None) -> bool:
    """Only a coordinator of the wijk's region browses it to make an invite."""
    return wijk is not None and wijk.active and is_coordinator_of(member, wijk.region_id)
