"""The draft of `/verzoek`: what the person chose so far, which step is next, and the checks of each answer.

No Telegram here: the draft holds choices and validates them with the services' checks, so it can be tested
on its own. It is kept in user_data as `to_dict()` (plain JSON, persisted in the database by
bot/persistence.py) and read back with `from_dict()`, which also reads drafts written before this class
existed (the same keys), so a restart in the middle of the form loses nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any, TypeVar

from bot.services.dates import parse_dates, parse_time_range, validate_request_date
from bot.services.requests import MAX_DAYS_AHEAD, NeededRole, SlotInput, check_note, check_urgency
from db.models import Daypart, Urgency

# The conversation's steps (ConversationHandler states, persisted as these numbers: do not renumber).
ROLE, DAYS, DAYPARTS, URGENCY, NOTE, CONFIRM = range(6)

E = TypeVar("E", NeededRole, Urgency, Daypart)

DAYPART_CHOICES: dict[str, tuple[Daypart, ...]] = {
    "ochtend": (Daypart.OCHTEND,),
    "middag": (Daypart.MIDDAG,),
    "both": (Daypart.OCHTEND, Daypart.MIDDAG),
}


# What people type where the form offers buttons (Dutch and English, lower case, single spaces).
ROLE_WORDS: dict[str, NeededRole] = {
    **{role.value: role for role in NeededRole},
    **dict.fromkeys(
        ("huisarts", "waarneming", "waarnemer", "waarnemend huisarts", "gp", "doctor"), NeededRole.HUISARTS
    ),
    **dict.fromkeys(
        ("doktersassistente", "da", "doctor's assistant", "doctors assistant"), NeededRole.DOKTERSASSISTENT
    ),
    **dict.fromkeys(("poh-s", "pohs", "poh s", "poh-somatiek", "poh somatiek"), NeededRole.POH_S),
    **dict.fromkeys(("poh-ggz", "pohggz", "poh ggz"), NeededRole.POH_GGZ),
    **dict.fromkeys(("triagist", "triagiste", "triage"), NeededRole.TRIAGIST),
    **dict.fromkeys(
        ("medisch student", "student", "geneeskundestudent", "medical student"), NeededRole.MEDISCH_STUDENT
    ),
    **dict.fromkeys(("assistent", "elke assistent", "any assistant", "assistant"), NeededRole.ANY_ASSISTANT),
}
DAYPART_WORDS: dict[str, str] = {
    **dict.fromkeys(("ochtend", "'s ochtends", "morgens", "morning"), "ochtend"),
    **dict.fromkeys(("middag", "'s middags", "afternoon"), "middag"),
    **dict.fromkeys(("hele dag", "de hele dag", "heledag", "whole day", "all day", "the whole day"), "both"),
}


@dataclass
class RequestDraft:
    """A request being written, or days being added to a running one (`adding_to`)."""

    practice_id: int | None = None
    practice_name: str = ""
    role: NeededRole | None = None
    days: list[date] = field(default_factory=list)  # sorted, no duplicates
    slots: list[SlotInput] = field(default_factory=list)
    urgency: Urgency | None = None
    note: str | None = None
    note_given: bool = False  # "No note" is an answer too
    adding_to: int | None = None  # the request the days are for, when adding days
    prompt_message_id: int | None = None  # the step's question with live buttons (collapsed once answered)

    @classmethod
    def for_practice(cls, practice_id: int, practice_name: str) -> RequestDraft:
        return cls(practice_id=practice_id, practice_name=practice_name)

    @classmethod
    def adding_days_to(cls, request_id: int) -> RequestDraft:
        return cls(adding_to=request_id)

    def counter(self, step: int) -> str:
        """Where a step stands in its form: "(2/5)" writing a request; adding days asks only the days and their
        day-parts, "(1/2)" and "(2/2)" (steps 2 and 3 of the full form)."""
        if self.adding_to is not None:
            return f"({step - 1}/2)"
        return f"({step}/5)"

    # --- which step is next ---------------------------------------------------------------------------

    def next_step(self) -> int:
        """The first step whose answer is missing; CONFIRM when there is nothing left to ask. The days count as
        answered once they have day-parts (Next on the days step goes on to the day-parts). When adding days
        to a running request only the days and their day-parts are asked."""
        if self.role is None and self.adding_to is None:
            return ROLE
        if not self.days or not self.slots:
            return DAYS
        if self.next_day() is not None:
            return DAYPARTS
        if self.adding_to is not None:
            return CONFIRM
        if self.urgency is None:
            return URGENCY
        return CONFIRM if self.note_given else NOTE

    def next_day(self) -> date | None:
        """The first chosen day without a day-part yet."""
        done = {slot.day for slot in self.slots}
        return next((day for day in self.days if day not in done), None)

    # --- the answers, checked -------------------------------------------------------------------------

    def toggle_day(self, day: date, today: date) -> None:
        """A day on or off the list; taking one off is always fine (DateInputError for one that cannot be
        chosen)."""
        if day not in self.days:
            validate_request_date(day, today, MAX_DAYS_AHEAD)
        self.days = sorted(set(self.days) ^ {day})

    def add_typed_days(self, text: str, today: date) -> None:
        """Typed dates, all checked before any is added (DateInputError names the first wrong one)."""
        days = parse_dates(text, today)
        for day in days:
            validate_request_date(day, today, MAX_DAYS_AHEAD)
        self.days = sorted(set(self.days) | set(days))

    def drop_past_days(self, today: date) -> None:
        """Days that have passed since the draft was started (it is kept across restarts)."""
        self.days = [day for day in self.days if day >= today]

    def restart_dayparts(self) -> None:
        """The days are (re)confirmed: their day-parts are asked again."""
        self.slots = []

    def choose_daypart(self, choice: str) -> None:
        """A named day-part (or both) for the next day; KeyError for an unknown choice."""
        day = self.next_day()
        assert day is not None
        for part in DAYPART_CHOICES[choice]:
            self.slots.append(SlotInput.for_daypart(day, part))

    def type_times(self, text: str) -> None:
        """Exact times for the next day (DateInputError when they cannot be read)."""
        day = self.next_day()
        assert day is not None
        start, end = parse_time_range(text)
        self.slots.append(SlotInput(day, Daypart.TIME, start, end))

    def choose_urgency(self, urgency: Urgency, today: date) -> None:
        """Spoed only for today or tomorrow (RequestError)."""
        check_urgency(urgency, self.days, today)
        self.urgency = urgency

    def type_note(self, text: str | None, today: date) -> None:
        """The note, cleaned; None (no note) for nothing typed. RequestError for patient data and the like."""
        self.note = check_note(text, today)
        self.note_given = True

    def skip_note(self) -> None:
        self.note, self.note_given = None, True

    # --- stored as plain JSON in user_data ------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The draft as JSON-able data, in the keys the form has always stored (an answer's key is there
        only once it is answered)."""
        data: dict[str, Any] = {
            "days": [day.isoformat() for day in self.days],
            "slots": [
                {"day": s.day.isoformat(), "daypart": s.daypart.value, "start": _hhmm(s.start), "end": _hhmm(s.end)}
                for s in self.slots
            ],
        }
        if self.practice_id is not None:
            data.update(practice_id=self.practice_id, practice_name=self.practice_name)
        if self.adding_to is not None:
            data["adding_to"] = self.adding_to
        if self.role is not None:
            data["role"] = self.role.value
        if self.urgency is not None:
            data["urgency"] = self.urgency.value
        if self.note_given:
            data["note"] = self.note
        if self.prompt_message_id is not None:
            data["prompt_message_id"] = self.prompt_message_id
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> RequestDraft:
        """The draft from user_data; missing keys are unanswered steps, and values that cannot be read (a
        draft from another version) count as unanswered rather than failing the step."""
        data = data or {}
        return cls(
            practice_id=_int(data.get("practice_id")),
            practice_name=_str(data.get("practice_name")) or "",
            role=_enum(NeededRole, data.get("role")),
            days=sorted({day for day in map(_date, data.get("days") or []) if day is not None}),
            slots=[slot for slot in map(_slot, data.get("slots") or []) if slot is not None],
            urgency=_enum(Urgency, data.get("urgency")),
            note=_str(data.get("note")),
            note_given="note" in data,
            adding_to=_int(data.get("adding_to")),
            prompt_message_id=_int(data.get("prompt_message_id")),
        )


def _hhmm(moment: time) -> str:
    return moment.strftime("%H:%M")


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _enum(kind: type[E], value: object) -> E | None:
    try:
        return kind(str(value))
    except ValueError:
        return None


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _slot(value: object) -> SlotInput | None:
    if not isinstance(value, Mapping):
        return None
    day, daypart = _date(value.get("day")), _enum(Daypart, value.get("daypart"))
    try:
        start, end = time.fromisoformat(str(value.get("start"))), time.fromisoformat(str(value.get("end")))
    except ValueError:
        return None
    return None if day is None or daypart is None else SlotInput(day, daypart, start, end)
