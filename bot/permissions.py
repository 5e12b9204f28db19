"""Who may do what. Handlers ask these on every update, button presses included.

The predicates are named in the permission table (`bot/permission_table.py`), which `docs/permissions.md` is
generated from and the end-to-end permission tests walk; keep a new rule here and name it there.
"""

from __future__ import annotations

from dataclasses import dataclass

from db.meetings import ActionPoint, Meeting, MeetingInvitee, MeetingOccurrence
from db.models import Member, Practice, Role, ShortageRequest, Wijk

POSTING_ROLES = (Role.PRAKTIJKMANAGER, Role.HUISARTS)  # who posts for a practice and decides about its requests
OWNER_ROLES = POSTING_ROLES  # who answers for a practice's action points


def is_member(member: Member | None) -> bool:
    """Anyone who joined (through an invite, or made coordinator on the command line)."""
    return member is not None


def is_coordinator_of(member: Member | None, region_id: int) -> bool:
    """A coordinator acts for their own region only."""
    return member is not None and member.has_role(Role.COORDINATOR) and member.region_id == region_id


def is_coordinator(member: Member | None) -> bool:
    """A coordinator of the member's own region (the only region they can act in)."""
    return member is not None and is_coordinator_of(member, member.region_id)


def may_help(member: Member | None) -> bool:
    """Availability, days off, pause and quiet hours are for members who can be asked to help: anyone with a
    role other than coordinator."""
    return member is not None and member.has_role(*(r for r in Role if r is not Role.COORDINATOR))


def practice_to_post_for(member: Member | None) -> Practice | None:
    """The practice a member may post for: a practice manager or GP of that (active) practice."""
    if member is None or member.practice is None or not member.practice.active:
        return None
    return member.practice if member.has_role(*POSTING_ROLES) else None


def may_post_request(member: Member | None) -> bool:
    """Practice managers and GPs of an active practice post requests and see their practice's requests."""
    return practice_to_post_for(member) is not None


def may_see_figures(member: Member | None) -> bool:
    """Coordinators see their region's figures; practice managers and GPs their own practice's, beside their
    wijk's and region's."""
    return is_coordinator(member) or may_post_request(member)


def may_act_for_request(member: Member | None, request: ShortageRequest) -> bool:
    """Who decides about a request's offers and may cancel, widen or extend it: its author, the practice's
    managers and GPs, and a coordinator of the region."""
    if member is None:
        return False
    if is_coordinator_of(member, request.region_id):
        return True
    return member.practice_id == request.practice_id and member.has_role(*POSTING_ROLES)


def may_invite_to(member: Member | None, practice: Practice | None) -> bool:
    """Coordinators make invites for any active practice of their own region, or for its pool (None)."""
    if member is None or (practice is not None and (practice.region_id != member.region_id or not practice.active)):
        return False
    return is_coordinator(member)


def may_browse_wijk(member: Member | None, wijk: Wijk | None) -> bool:
    """Only a coordinator of the wijk's region browses it to make an invite."""
    return wijk is not None and wijk.active and is_coordinator_of(member, wijk.region_id)


def may_link_group(member: Member | None, wijk: Wijk | None, linked_region_id: int | None) -> bool:
    """A coordinator links a group to an active wijk of their region; a group already linked to another
    region's wijk is not theirs to take over."""
    if wijk is None or not wijk.active or not is_coordinator_of(member, wijk.region_id):
        return False
    return linked_region_id is None or linked_region_id == wijk.region_id


def may_manage_meeting(member: Member | None, meeting: Meeting | MeetingOccurrence) -> bool:
    """Who sees the answers, moves, cancels and records action points: the organiser and the coordinators.
    A date of a meeting is managed by who manages the meeting."""
    if isinstance(meeting, MeetingOccurrence):
        meeting = meeting.meeting
    if member is None:
        return False
    return is_coordinator_of(member, meeting.region_id) or meeting.created_by_member_id == member.id


@dataclass(frozen=True)
class MyDate:
    """A meeting date as one member presses on it: the date with its meeting, and that member's own invitation
    (None: not invited). What a press needs, loaded the same way whether 5 or 5000 are invited."""

    occurrence: MeetingOccurrence
    invitee: MeetingInvitee | None


def may_see_meeting(member: Member | None, date: MyDate) -> bool:
    """A meeting date's card is for those invited to it, and for those who manage it."""
    if member is None:
        return False
    return date.invitee is not None or may_manage_meeting(member, date.occurrence)


def is_self(member: Member | None, member_id: int) -> bool:
    """A button made for one member (confirming their own removal) is theirs alone."""
    return member is not None and member.id == member_id


def may_close_action(member: Member | None, point: ActionPoint) -> bool:
    """The owner person, the owning practice's managers and GPs, the organiser, or a coordinator."""
    if member is None or member.region_id != point.region_id:
        return False
    if member.has_role(Role.COORDINATOR) or point.created_by_member_id == member.id:
        return True
    if point.owner_member_id is not None and point.owner_member_id == member.id:
        return True
    return member.practice_id == point.owner_practice_id and member.has_role(*OWNER_ROLES)
