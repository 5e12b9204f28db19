"""The draft of `/bijeenkomst` (and of moving one date): what was chosen so far, which step is next, and the
checks of each answer.

No Telegram here: the draft holds choices and validates them with the services' checks (check_text,
check_url, check_spec, the date and time parsers), so it can be tested on its own. It is kept in user_data
as `to_dict()` (plain JSON, persisted in the database by bot/persistence.py) and read back with
`from_dict()`, which also reads drafts written before this class existed (the same keys), so a restart in
the middle of the form loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from bot.services.dates import parse_date, parse_time_range, validate_request_date
from bot.services.meeting_times import DEFAULT_REMINDERS, monthly_rule, parse_offset_text, to_utc, weekly_rule
from bot.services.meetings import (
    MAX_AGENDA,
    MAX_DAYS_AHEAD,
    MAX_LOCATION,
    MAX_TITLE,
    MeetingError,
    MeetingSpec,
    check_spec,
    check_text,
    check_url,
)
from db.meetings import Audience

# The conversation's steps (ConversationHandler states, persisted as these numbers: do not renumber).
WIJK, TITLE, DATE, TIME, PLACE, LINK, AGENDA, AUDIENCE, REPEAT, REMIND, CONFIRM = range(11)

T = TypeVar("T")

REPEATS = ("none", "w1", "w2", "w4", "month")
REMINDER_CHOICES = ("default", "none")


@dataclass
class MeetingDraft:
    """A meeting being planned, or one date being moved (`moving`: then only the day and times are asked)."""

    wijk_ids: list[int] = field(default_factory=list)
    whole_region: bool = False
    wijk_names: str | None = None  # how the preview names the wijken; None for the whole region
    title: str | None = None
    day: date | None = None
    start: time | None = None
    end: time | None = None
    location: str | None = None
    place_given: bool = False  # "Online only" is an answer too
    url: str | None = None
    link_given: bool = False  # and so is "No link"
    agenda: str | None = None
    agenda_given: bool = False  # and "No agenda"
    audience: Audience | None = None
    repeat: str | None = None  # one of REPEATS
    reminders: list[int] | None = None  # minutes before; [] for none
    moving: int | None = None  # the occurrence being moved
    editing: int | None = None  # the meeting one detail of which is being changed (then only that is asked)
    editing_detail: str | None = None  # which: services.meeting_changes.Detail

    @classmethod
    def moving_date(cls, occurrence_id: int, title: str) -> MeetingDraft:
        return cls(moving=occurrence_id, title=title)

    @classmethod
    def changing(cls, meeting_id: int, detail: str, title: str, location: str | None) -> MeetingDraft:
        """One detail of a planned meeting; the other answers stay unasked (the meeting keeps them). The title
        names the meeting in the preview, the place lets "No link" be checked."""
        draft = cls(editing=meeting_id, editing_detail=detail, location=location)
        if detail != "title":  # when it is, the new title is the answer
            draft.title = title
        return draft

    def detail_step(self) -> int:
        """The step that asks the detail being changed."""
        steps = {"title": TITLE, "place": PLACE, "link": LINK, "agenda": AGENDA, "audience": AUDIENCE}
        return steps.get(self.editing_detail or "", CONFIRM)

    def changed_value(self) -> str | None:
        """The new value of the detail being changed (None: no place, link or agenda)."""
        audience = self.audience.value if self.audience else None
        values = {
            "title": self.title,
            "place": self.location,
            "link": self.url,
            "agenda": self.agenda,
            "audience": audience,
        }
        return values.get(self.editing_detail or "")

    # --- which step is next ---------------------------------------------------------------------------

    def next_step(self) -> int:
        """The first step whose answer is missing; CONFIRM when there is nothing left to ask. Wijken count as
        chosen as soon as one is ticked (or the whole region is taken)."""
        times_missing = self.start is None or self.end is None
        if self.moving is not None:
            return DATE if self.day is None else (TIME if times_missing else CONFIRM)
        if self.editing is not None:
            answered = {
                TITLE: self.title is not None,
                PLACE: self.place_given,
                LINK: self.link_given,
                AUDIENCE: self.audience is not None,
            }
            step = self.detail_step()
            return CONFIRM if answered.get(step, self.agenda_given) else step
        missing = (
            (not self.wijk_ids and not self.whole_region, WIJK),
            (self.title is None, TITLE),
            (self.day is None, DATE),
            (times_missing, TIME),
            (not self.place_given, PLACE),
            (not self.link_given, LINK),
            (not self.agenda_given, AGENDA),
            (self.audience is None, AUDIENCE),
            (self.repeat is None, REPEAT),
            (self.reminders is None, REMIND),
        )
        return next((step for lacking, step in missing if lacking), CONFIRM)

    # --- the answers, checked -------------------------------------------------------------------------

    def toggle_wijk(self, wijk_id: int) -> None:
        self.wijk_ids = sorted(set(self.wijk_ids) ^ {wijk_id})

    def take_whole_region(self) -> None:
        self.wijk_ids, self.whole_region, self.wijk_names = [], True, None

    def confirm_wijken(self, names: Mapping[int, str]) -> None:
        """Done choosing wijken (MeetingError `no_wijk` when none is ticked); names them for the preview."""
        if not self.wijk_ids:
            raise MeetingError("no_wijk")
        self.wijk_names = ", ".join(names[i] for i in self.wijk_ids if i in names)

    def type_title(self, text: str, today: date) -> None:
        self.title = check_text(text, MAX_TITLE, today, required=True)

    def type_date(self, text: str, today: date) -> None:
        """DateInputError when it cannot be read, is past or too far ahead."""
        day = parse_date(text, today)
        validate_request_date(day, today, MAX_DAYS_AHEAD)
        self.day = day

    def type_times(self, text: str, now: datetime, zone: ZoneInfo) -> None:
        """DateInputError when they cannot be read; MeetingError `in_past` for a start that has passed."""
        assert self.day is not None
        start, end = parse_time_range(text)
        if to_utc(datetime.combine(self.day, start), zone) <= now:
            raise MeetingError("in_past")
        self.start, self.end = start, end

    def type_place(self, text: str | None, today: date) -> None:
        """The address, cleaned; None (online only) for nothing typed. MeetingError for patient data and the
        like."""
        self.location, self.place_given = check_text(text, MAX_LOCATION, today), True

    def skip_place(self) -> None:
        """Online only."""
        self.location, self.place_given = None, True

    def type_link(self, text: str | None) -> None:
        self.url, self.link_given = check_url(text), True

    def skip_link(self) -> None:
        """No link: only for a meeting with a place (MeetingError `no_place`)."""
        if not self.location:
            raise MeetingError("no_place")
        self.url, self.link_given = None, True

    def type_agenda(self, text: str | None, today: date) -> None:
        self.agenda, self.agenda_given = check_text(text, MAX_AGENDA, today), True

    def skip_agenda(self) -> None:
        self.agenda, self.agenda_given = None, True

    def choose_reminders(self, choice: str) -> None:
        """`default` or `none`."""
        self.reminders = list(DEFAULT_REMINDERS) if choice == "default" else []

    def type_reminders(self, text: str) -> None:
        """Typed offsets like `3d 1d 1u` (TimeInputError)."""
        self.reminders = parse_offset_text(text)

    # --- the finished draft ---------------------------------------------------------------------------

    def start_local(self) -> datetime:
        assert self.day is not None and self.start is not None
        return datetime.combine(self.day, self.start)

    def duration_minutes(self) -> int:
        assert self.day is not None and self.end is not None
        return int((datetime.combine(self.day, self.end) - self.start_local()) / timedelta(minutes=1))

    def spec(self, *, now: datetime, zone: ZoneInfo) -> MeetingSpec:
        """The finished draft as service input, with its recurrence as an RRULE, checked again (check_spec,
        and a start still ahead): MeetingError with the first problem."""
        assert self.title is not None and self.audience is not None and self.reminders is not None
        start = self.start_local()
        rules = {"w1": weekly_rule(1), "w2": weekly_rule(2), "w4": weekly_rule(4), "month": monthly_rule(start.date())}
        spec = MeetingSpec(
            title=self.title,
            start_local=start,
            duration_minutes=self.duration_minutes(),
            wijk_ids=list(self.wijk_ids),
            whole_region=self.whole_region,
            location=self.location,
            url=self.url,
            agenda=self.agenda,
            audience=self.audience,
            rrule=rules.get(self.repeat or "none"),
            reminder_minutes=list(self.reminders),
        )
        spec = check_spec(spec, today=now.astimezone(zone).date())
        if to_utc(spec.start_local, zone) <= now:
            raise MeetingError("in_past")
        return spec

    # --- stored as plain JSON in user_data ------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The draft as JSON-able data, in the keys the form has always stored (an answer's key is there only
        once it is answered)."""
        data: dict[str, Any] = {"wijk_ids": list(self.wijk_ids), "whole_region": self.whole_region}
        answers: list[tuple[bool, str, object]] = [
            (self.moving is not None, "moving", self.moving),
            (self.editing is not None, "editing", self.editing),
            (self.editing_detail is not None, "editing_detail", self.editing_detail),
            (self.wijk_names is not None, "wijk_names", self.wijk_names),
            (self.title is not None, "title", self.title),
            (self.day is not None, "date", self.day.isoformat() if self.day else None),
            (self.start is not None, "start", _hhmm(self.start)),
            (self.end is not None, "end", _hhmm(self.end)),
            (self.place_given, "location", self.location),
            (self.link_given, "url", self.url),
            (self.agenda_given, "agenda", self.agenda),
            (self.audience is not None, "audience", self.audience.value if self.audience else None),
            (self.repeat is not None, "repeat", self.repeat),
            (self.reminders is not None, "reminders", self.reminders),
        ]
        data.update({key: value for given, key, value in answers if given})
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> MeetingDraft:
        """The draft from user_data; missing keys are unanswered steps, and values that cannot be read (a
        draft from another version) count as unanswered rather than failing the step."""
        data = data or {}
        return cls(
            wijk_ids=_ints(data.get("wijk_ids")) or [],
            whole_region=bool(data.get("whole_region")),
            wijk_names=_str(data.get("wijk_names")),
            title=_str(data.get("title")),
            day=_parse(date.fromisoformat, data.get("date")),
            start=_parse(time.fromisoformat, data.get("start")),
            end=_parse(time.fromisoformat, data.get("end")),
            location=_str(data.get("location")),
            place_given="location" in data,
            url=_str(data.get("url")),
            link_given="url" in data,
            agenda=_str(data.get("agenda")),
            agenda_given="agenda" in data,
            audience=_parse(Audience, data.get("audience")),
            repeat=data["repeat"] if data.get("repeat") in REPEATS else None,
            reminders=_ints(data.get("reminders")),
            moving=data["moving"] if isinstance(data.get("moving"), int) else None,
            editing=data["editing"] if isinstance(data.get("editing"), int) else None,
            editing_detail=_str(data.get("editing_detail")),
        )


def _hhmm(moment: time | None) -> str | None:
    return moment.strftime("%H:%M") if moment is not None else None


def _ints(value: object) -> list[int] | None:
    return [i for i in value if isinstance(i, int)] if isinstance(value, list) else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _parse(read: Callable[[str], T], value: object) -> T | None:
    try:
        return read(value) if isinstance(value, str) else None
    except ValueError:
        return None
