"""Who may do what, written down once: every command and every button against every kind of person.

`docs/permissions.md` is generated from this table (`scripts/permissions_doc.py`; `./dev check` fails when the
doc is stale), and `tests/e2e/test_permissions.py` walks every cell through the real bot: an allowed cell must
work, a denied one must get a short answer and change nothing. A row without a scenario there fails the test.

A new command is one line: `command("privacy", "mydata", what=..., rule=..., allowed=EVERYONE)`.
A new button is one line: `button("ACTION_NAME", what=..., rule=..., allowed=...)` with the `Action` member's
name from `handlers/callback_data.py` (this module stays below the handlers, so it names actions by string).

"Own" means the thing the row is about belongs to the own practice: the request was posted by the own
practice's manager, the offer on it came from the member of the same wijk, the meeting is for the wijk and
planned by a coordinator, the action point is the own practice's.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal


class Persona(enum.StrEnum):
    """The kinds of person the table distinguishes, seen from the practice the row is about."""

    STRANGER = "stranger"
    OTHER_REGION = "other-region"
    OTHER_WIJK = "other-wijk"
    SAME_WIJK = "same-wijk"
    OWN_MANAGER = "own-manager"
    OTHER_MANAGER = "other-manager"
    STUDENT = "student"
    COORDINATOR = "coordinator"


PERSONAS: dict[Persona, tuple[str, str]] = {
    Persona.STRANGER: ("stranger", "not a member: never used an invitation"),
    Persona.OTHER_REGION: ("other region", "a doktersassistent of a practice in another region"),
    Persona.OTHER_WIJK: ("other wijk", "a doktersassistent of a practice in another wijk of the same region"),
    Persona.SAME_WIJK: (
        "same wijk",
        "a doktersassistent of another practice in the same wijk; asked for the request, made the offer",
    ),
    Persona.OWN_MANAGER: ("own manager", "the practice manager of the own practice; posted the request"),
    Persona.OTHER_MANAGER: ("other manager", "the practice manager of another practice in the same wijk"),
    Persona.STUDENT: ("student", "a medical student of the regional pool (no practice)"),
    Persona.COORDINATOR: ("coordinator", "a coordinator of the region (no practice, not the organiser)"),
}

EVERYONE: frozenset[Persona] = frozenset(Persona)
MEMBERS: frozenset[Persona] = EVERYONE - {Persona.STRANGER}
HELPERS: frozenset[Persona] = MEMBERS - {Persona.COORDINATOR}  # anyone with a role other than coordinator
MANAGERS: frozenset[Persona] = frozenset({Persona.OWN_MANAGER, Persona.OTHER_MANAGER})
DECIDES: frozenset[Persona] = frozenset({Persona.OWN_MANAGER, Persona.COORDINATOR})  # about the own practice's things
COORDINATOR: frozenset[Persona] = frozenset({Persona.COORDINATOR})
ASKED: frozenset[Persona] = frozenset({Persona.SAME_WIJK})  # the only persona the request was sent to
INVITED: frozenset[Persona] = frozenset({Persona.SAME_WIJK, Persona.OWN_MANAGER, Persona.OTHER_MANAGER})

Kind = Literal["command", "button"]


@dataclass(frozen=True)
class Cell:
    """One person's right to one command or button."""

    allowed: bool
    note: str = ""


@dataclass(frozen=True)
class Row:
    """One command (with all its spellings) or one button action, and who may use it."""

    kind: Kind
    key: str  # the first command name, or the Action member's name
    names: tuple[str, ...]
    what: str
    rule: str  # dotted path of the predicate (or check) that decides
    cells: Mapping[Persona, Cell]
    where: str = "private chat"

    @property
    def label(self) -> str:
        """How the row is shown: `/verzoek` (`/request`), or the action's name."""
        if self.kind == "command":
            return " ".join(f"`/{name}`" for name in self.names)
        return f"`{self.key}`"

    def allowed(self, persona: Persona) -> bool:
        """Whether this kind of person may do it."""
        return self.cells[persona].allowed


def _cells(allowed: Iterable[Persona], notes: Mapping[Persona, str], denied_note: str) -> dict[Persona, Cell]:
    allowed = frozenset(allowed)
    return {
        persona: Cell(persona in allowed, notes.get(persona, "" if persona in allowed else denied_note))
        for persona in Persona
    }


def command(
    *names: str,
    what: str,
    rule: str,
    allowed: Iterable[Persona],
    notes: Mapping[Persona, str] | None = None,
    denied: str = "",
    where: str = "private chat",
) -> Row:
    """A command row; `names` are its spellings, Dutch first."""
    return Row("command", names[0], names, what, rule, _cells(allowed, notes or {}, denied), where)


def button(
    action: str,
    *,
    what: str,
    rule: str,
    allowed: Iterable[Persona],
    notes: Mapping[Persona, str] | None = None,
    denied: str = "",
    where: str = "private chat",
) -> Row:
    """A button row; `action` is the name of the `Action` member in handlers/callback_data.py."""
    return Row("button", action, (action,), what, rule, _cells(allowed, notes or {}, denied), where)


P = "bot.permissions."
NOT_ASKED = "not asked for this request"
OWN_PRACTICE = "own practice's request: never asked"

TABLE: tuple[Row, ...] = (
    # --- commands -------------------------------------------------------------------------------------------
    command("start", what="greeting; members see their menu", rule="anyone", allowed=EVERYONE),
    command(
        "start CODE",
        what="open an invitation (here: the own practice, doktersassistent)",
        rule="bot.services.invites.join_conflict",
        allowed={Persona.STRANGER, Persona.OWN_MANAGER, Persona.STUDENT, Persona.COORDINATOR},
        notes={
            Persona.OWN_MANAGER: "adds the role",
            Persona.STUDENT: "adds the role and the practice",
            Persona.COORDINATOR: "adds the role and the practice",
        },
        denied="member of another region or practice",
    ),
    command("help", what="what you can do", rule="anyone", allowed=EVERYONE, where="any chat"),
    command("annuleer", "cancel", what="stop what you are doing", rule="anyone", allowed=EVERYONE, where="any chat"),
    command("profiel", "profile", what="your own profile", rule=P + "is_member", allowed=MEMBERS),
    command(
        "taal",
        "language",
        what="choose a language",
        rule="anyone",
        allowed=EVERYONE,
        notes={Persona.STRANGER: "shows the choice; choosing needs membership"},
    ),
    command("verzoek", "request", what="post a shortage request", rule=P + "may_post_request", allowed=MANAGERS),
    command(
        "mijnverzoeken",
        "myrequests",
        what="the practice's requests",
        rule=P + "may_post_request",
        allowed=MANAGERS,
        notes={Persona.OWN_MANAGER: "own practice only", Persona.OTHER_MANAGER: "own practice only"},
    ),
    command("beschikbaarheid", "availability", what="your availability", rule=P + "may_help", allowed=HELPERS),
    command("afwezig", "dayoff", what="add days off", rule=P + "may_help", allowed=HELPERS),
    command("pauze", "pause", what="pause requests", rule=P + "may_help", allowed=HELPERS),
    command("stilleuren", "quiethours", what="set quiet hours", rule=P + "may_help", allowed=HELPERS),
    command("open", what="unfilled requests of the region", rule=P + "is_coordinator", allowed=COORDINATOR),
    command(
        "koppelgroep",
        "linkgroup",
        what="link a group to a wijk",
        rule=P + "is_coordinator",
        allowed=COORDINATOR,
        where="group",
    ),
    command(
        "ontkoppelgroep",
        "unlinkgroup",
        what="unlink a linked group",
        rule=P + "is_coordinator_of",
        allowed=COORDINATOR,
        where="group",
    ),
    command("uitnodiging", "invite", what="make an invitation link", rule=P + "is_coordinator", allowed=COORDINATOR),
    command(
        "bijeenkomst",
        "meeting",
        what="plan a wijk meeting",
        rule="bot.services.meetings.may_schedule",
        allowed=COORDINATOR,
        denied="only coordinators (practice managers when the region allows it)",
    ),
    command(
        "bijeenkomsten",
        "meetings",
        what="your meetings",
        rule=P + "is_member",
        allowed=MEMBERS,
        notes={p: "invited or organised only" for p in MEMBERS},
    ),
    command(
        "actiepunten",
        "actions",
        what="open action points",
        rule=P + "is_member",
        allowed=MEMBERS,
        notes={p: "own practice, wijk or person" for p in MEMBERS} | {Persona.COORDINATOR: "the whole region"},
    ),
    command("privacy", what="what is stored, why, how long, whom to ask", rule="anyone", allowed=EVERYONE),
    command(
        "mijngegevens",
        "mydata",
        what="everything stored about you, as a JSON file",
        rule="anyone",
        allowed=EVERYONE,
        notes={Persona.STRANGER: "a file that says nothing is stored"},
    ),
    command(
        "verwijdermij",
        "deleteme",
        what="remove your personal data (asks first)",
        rule="anyone",
        allowed=EVERYONE,
        notes={Persona.STRANGER: "told nothing is stored"},
    ),
    command("audit", what="the region's audit log", rule=P + "is_coordinator", allowed=COORDINATOR),
    command(
        "cijfers",
        "figures",
        what="figures: how the practices help each other",
        rule=P + "may_see_figures",
        allowed=MANAGERS | COORDINATOR,
        notes={
            Persona.OWN_MANAGER: "own practice, wijk and region",
            Persona.OTHER_MANAGER: "own practice, wijk and region",
            Persona.COORDINATOR: "the region or one wijk",
        },
        denied="coordinators, practice managers and GPs only",
    ),
    # --- buttons --------------------------------------------------------------------------------------------
    button(
        "JOIN_CONFIRM",
        what="join with the invitation in the button",
        rule="bot.services.invites.join_conflict",
        allowed={Persona.STRANGER, Persona.OWN_MANAGER, Persona.STUDENT, Persona.COORDINATOR},
        notes={
            Persona.STRANGER: "becomes a member",
            Persona.OWN_MANAGER: "adds the role",
            Persona.STUDENT: "adds the role and the practice",
            Persona.COORDINATOR: "adds the role and the practice",
        },
        denied="member of another region or practice",
    ),
    button("JOIN_DECLINE", what="do not join", rule="anyone", allowed=EVERYONE, notes={}),
    button("LANGUAGE", what="choose a language", rule=P + "is_member", allowed=MEMBERS),
    button("INVITE_WIJK", what="invitation: pick a wijk", rule=P + "may_browse_wijk", allowed=COORDINATOR),
    button("INVITE_PRACTICE", what="invitation: pick a practice", rule=P + "may_invite_to", allowed=COORDINATOR),
    button("INVITE_ROLE", what="invitation: pick a role, make the link", rule=P + "may_invite_to", allowed=COORDINATOR),
    button("INVITE_BACK", what="invitation: back to the wijken", rule=P + "is_coordinator", allowed=COORDINATOR),
    button("PHONE", what="share or delete your own phone number", rule=P + "is_member", allowed=MEMBERS),
    button("CALENDAR_FEED", what="show, renew or stop your own calendar feed", rule=P + "is_member", allowed=MEMBERS),
    button(
        "REQUEST_STEP",
        what="a step of /verzoek",
        rule=P + "may_post_request",
        allowed={Persona.OWN_MANAGER},
        notes={Persona.OWN_MANAGER: "in their own running /verzoek"},
        denied="no /verzoek running",
    ),
    button(
        "OFFER_ALL",
        what="offer for all day-parts",
        rule="bot.services.offers.recipient_of",
        allowed=ASKED,
        notes={Persona.OWN_MANAGER: OWN_PRACTICE},
        denied=NOT_ASKED,
        where="private chat; a wijk group's post (see below)",
    ),
    button(
        "OFFER_PICK",
        what="open the day-part picker",
        rule="bot.services.offers.recipient_of",
        allowed=ASKED,
        notes={Persona.OWN_MANAGER: OWN_PRACTICE},
        denied=NOT_ASKED,
        where="private chat; a wijk group's post (see below)",
    ),
    button(
        "OFFER_SOME",
        what="offer for the picked day-parts",
        rule="bot.services.offers.recipient_of",
        allowed=ASKED,
        notes={Persona.OWN_MANAGER: OWN_PRACTICE},
        denied=NOT_ASKED,
    ),
    button(
        "OFFER_BACK",
        what="close the day-part picker",
        rule="bot.services.offers.recipient_of",
        allowed=ASKED,
        notes={Persona.OWN_MANAGER: OWN_PRACTICE},
        denied=NOT_ASKED,
    ),
    button(
        "CANT",
        what='say "can\'t"',
        rule="bot.services.offers.recipient_of",
        allowed=ASKED,
        notes={Persona.OWN_MANAGER: OWN_PRACTICE},
        denied=NOT_ASKED,
    ),
    button(
        "ACCEPT", what="accept an offer (its card, or /mijnverzoeken)", rule=P + "may_act_for_request", allowed=DECIDES
    ),
    button(
        "DECLINE_OFFER",
        what="decline an offer (its card, or /mijnverzoeken)",
        rule=P + "may_act_for_request",
        allowed=DECIDES,
    ),
    button(
        "WITHDRAW",
        what="withdraw an offer, pending or accepted",
        rule="bot.services.offers.withdraw_offer",
        allowed=ASKED,
        notes={Persona.SAME_WIJK: "own offer only"},
        denied="not their offer",
    ),
    button("CANCEL_REQUEST", what="cancel a request (with a reason)", rule=P + "may_act_for_request", allowed=DECIDES),
    button("ADD_DAYS", what="add days to a request", rule=P + "may_act_for_request", allowed=DECIDES),
    button("WIDEN", what="ask more widely now", rule=P + "may_act_for_request", allowed=DECIDES),
    button(
        "AVAILABILITY",
        what="toggle your own availability",
        rule=P + "may_help",
        allowed=HELPERS,
        notes={p: "own availability only" for p in HELPERS},
    ),
    button(
        "LINK_GROUP", what="link this group to a wijk", rule=P + "may_link_group", allowed=COORDINATOR, where="group"
    ),
    button("NUDGE", what="ask the wijk again", rule=P + "is_coordinator_of", allowed=COORDINATOR),
    button(
        "MEETING_STEP",
        what="a step of /bijeenkomst",
        rule="bot.services.meetings.schedulable_wijk_ids",
        allowed=COORDINATOR,
        notes={Persona.COORDINATOR: "in their own running /bijeenkomst"},
        denied="no /bijeenkomst running",
    ),
    button(
        "MEETING_RSVP",
        what="answer yes / no / maybe",
        rule="bot.services.meetings.set_answer",
        allowed=INVITED,
        notes={p: "own answer" for p in INVITED},
        denied="not invited",
    ),
    button(
        "MEETING_SHOW",
        what="a meeting date's card",
        rule=P + "may_see_meeting",
        allowed=INVITED | COORDINATOR,
        notes={Persona.COORDINATOR: "with everyone's answers"},
        denied="not invited",
    ),
    button(
        "MEETING_PAGE",
        what="another page of /bijeenkomsten, or a month",
        rule=P + "is_member",
        allowed=MEMBERS,
        notes={p: "own dates only" for p in MEMBERS},
    ),
    button(
        "MEETING_MOVE",
        what="move a meeting date",
        rule=P + "may_manage_meeting",
        allowed=COORDINATOR,
        denied="organiser and coordinators only",
    ),
    button(
        "MEETING_CANCEL",
        what="cancel a meeting date",
        rule=P + "may_manage_meeting",
        allowed=COORDINATOR,
        denied="organiser and coordinators only",
    ),
    button(
        "MEETING_EDIT_MENU",
        what="the menu to change a meeting's title, place, link or agenda",
        rule=P + "may_manage_meeting",
        allowed=COORDINATOR,
        denied="organiser and coordinators only",
    ),
    button(
        "MEETING_EDIT",
        what="change a meeting's title, place, link or agenda (every date)",
        rule=P + "may_manage_meeting",
        allowed=COORDINATOR,
        denied="organiser and coordinators only",
    ),
    button(
        "MEETING_CANCEL_ALL",
        what="cancel a meeting, every date of a series",
        rule=P + "may_manage_meeting",
        allowed=COORDINATOR,
        denied="organiser and coordinators only",
    ),
    button(
        "MEETING_NUDGE",
        what="remind those who have not answered a meeting date",
        rule=P + "may_manage_meeting",
        allowed=COORDINATOR,
        notes={Persona.COORDINATOR: "once a day per date"},
        denied="organiser and coordinators only",
    ),
    button(
        "ACTION_ADD",
        what="record an action point (meeting has begun)",
        rule=P + "may_manage_meeting",
        allowed=COORDINATOR,
        denied="organiser and coordinators only",
    ),
    button(
        "ACTION_STEP",
        what="a step of recording an action point",
        rule=P + "may_manage_meeting",
        allowed=COORDINATOR,
        notes={Persona.COORDINATOR: "in their own running action point"},
        denied="none running",
    ),
    button(
        "ACTION_DONE",
        what="mark an action point done",
        rule=P + "may_close_action",
        allowed=DECIDES,
        notes={Persona.OWN_MANAGER: "own practice's points"},
    ),
    button("AUDIT", what="another page of the audit log", rule=P + "is_coordinator", allowed=COORDINATOR),
    button(
        "FIGURES",
        what="figures: a period (coordinators: then the region or a wijk)",
        rule=P + "may_see_figures",
        allowed=MANAGERS | COORDINATOR,
        notes={
            Persona.OWN_MANAGER: "own practice, wijk and region",
            Persona.OTHER_MANAGER: "own practice, wijk and region",
        },
        denied="coordinators, practice managers and GPs only",
    ),
    button(
        "FIGURES_FILE",
        what="figures as a file: the CSV or the full report (PDF); also under the monthly report",
        rule=P + "may_see_figures",
        allowed=MANAGERS | COORDINATOR,
        notes={
            Persona.OWN_MANAGER: "own practice, wijk and region, and the own row of who helps whom",
            Persona.OTHER_MANAGER: "own practice, wijk and region, and the own row of who helps whom",
        },
        denied="coordinators, practice managers and GPs only",
    ),
    button(
        "DELETE_ME",
        what="confirm or refuse removing one's own data",
        rule=P + "is_self",
        allowed=MEMBERS,
        notes={p: "own button, for 15 minutes, once" for p in MEMBERS},
    ),
)


def rows(kind: Kind | None = None) -> list[Row]:
    """The table's rows, optionally only commands or only buttons."""
    return [row for row in TABLE if kind is None or row.kind == kind]


def row(key: str) -> Row:
    """One row by its key."""
    return next(r for r in TABLE if r.key == key)
