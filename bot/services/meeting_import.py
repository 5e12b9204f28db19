"""The meetings file (a year's schedule): validate every entry, then import all of it or nothing.

Each entry has a stable `key`; importing the same file again changes nothing, a changed entry updates its
meeting (and tells the invitees), a bad entry refuses the whole file with the line of the offending field named.
An entry whose dates have all passed is refused unless allowed (a typo in the year plans nothing and invites
nobody, silently); an imported meeting left out of the file is listed, and cancelled only when asked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from dateutil.rrule import rrulestr
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_
from bot.services.meeting_changes import cancel_meeting, meeting_differs, upcoming_dates, update_meeting
from bot.services.meeting_times import DEFAULT_REMINDERS, TimeInputError, check_rrule, parse_offsets, series, to_local
from bot.services.meetings import (
    MAX_AGENDA,
    MAX_LOCATION,
    MAX_TITLE,
    MeetingError,
    MeetingSpec,
    check_spec,
    check_text,
    check_url,
    create_meeting,
)
from bot.services.network import NetworkFileError, Problem, _LineLoader
from db.meetings import Audience, Meeting, MeetingOccurrence, OccurrenceStatus
from db.models import Region, Wijk

FIELDS = {
    "key", "wijk", "wijken", "region", "title", "start", "end", "location", "url", "agenda", "audience", "rrule",
    "reminders",
}  # fmt: skip
ERRORS: dict[str, str] = {
    "missing_title": N_("meeting '{key}': missing field 'title'"),
    "too_long": N_("meeting '{key}': a text is too long"),
    "patient_data": N_("meeting '{key}': this looks like patient data; meetings are for logistics only"),
    "bad_url": N_("meeting '{key}': 'url' must be a web address (https://...)"),
    "no_place": N_("meeting '{key}': give a 'location', a 'url', or both"),
    "no_wijk": N_("meeting '{key}': give 'wijk', 'wijken' or 'region: true'"),
    "bad_duration": N_("meeting '{key}': 'end' must be 15 minutes to 12 hours after 'start'"),
    "bad_rrule": N_("meeting '{key}': 'rrule' is not a weekly or monthly RRULE"),
    "bad_reminder": N_("meeting '{key}': reminders are written like 7d, 1d, 2h or 10m"),
    "reminder_range": N_("meeting '{key}': a reminder must be between 1 minute and 28 days before"),
    "too_many_reminders": N_("meeting '{key}': at most 5 reminders"),
    "only_control_characters": N_("meeting '{key}': a text is only control characters"),
}
PAST = N_("meeting '{key}': all its dates are in the past (check the year; --allow-past imports it anyway)")
PAST_ALLOWED = N_("meeting '{key}': all its dates are in the past; imported without dates, nobody is invited")
PARTLY_PAST = N_("meeting '{key}': dates in the past, left out: {count}")
WAS_CANCELLED = N_("meeting '{key}' was cancelled when it was left out of a file; give it a new key to plan it again")
# Where a problem of the spec as a whole points: the field to change (else the entry's first line).
SPEC_FIELDS = {"bad_duration": "end", "bad_url": "url", "bad_rrule": "rrule", "missing_title": "title"}
TEXT_FIELDS = (("title", MAX_TITLE), ("location", MAX_LOCATION), ("agenda", MAX_AGENDA))
LINES = "__lines__"  # where the loader puts the line of each field


class _FieldLineLoader(_LineLoader):
    """The network file's loader, also keeping the line of each field, so a problem points at the field."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping = super().construct_mapping(node, deep=deep)
        mapping[LINES] = {
            str(key.value): key.start_mark.line + 1 for key, _value in node.value if isinstance(key, yaml.ScalarNode)
        }
        return mapping


@dataclass(frozen=True)
class ImportedMeeting:
    """One validated entry."""

    key: str
    spec: MeetingSpec
    line: int | None
    lines: Mapping[str, int] = field(default_factory=dict)

    def at(self, name: str) -> int | None:
        """The line of a field, else of the entry."""
        return self.lines.get(name, self.line)


@dataclass(frozen=True)
class Missing:
    """An imported meeting that is not in the file any more, with dates still ahead."""

    key: str
    title: str
    upcoming: int
    first: datetime


@dataclass
class MeetingImportReport:
    """What an import did, what it warns about, and which imported meetings the file no longer has."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    warnings: list[Problem] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)
    cancelled_dates: int = 0  # with cancel_missing: the missing meetings' upcoming dates, now cancelled
    told: int = 0  # and the invitees told of it


def _local(value: Any) -> datetime | None:
    """An ISO 8601 local date-time (YAML may already have made it a datetime); a zone is not allowed."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    return moment.replace(second=0, microsecond=0) if moment.tzinfo is None else None


@dataclass(frozen=True)
class _Checked:
    """One entry being checked: its problems join the file's list, each naming the entry's key and line."""

    entry: dict[str, Any]
    problems: list[Problem]
    key: str
    line: int | None

    def add(self, message: str, at: str | None = None, **params: Any) -> None:
        """A problem on the line of field `at` (the entry's first line if it has no such field)."""
        line = self.lines.get(at, self.line) if at else self.line
        self.problems.append(Problem(message, {"key": self.key or "?", **params}, line))

    @property
    def lines(self) -> dict[str, int]:
        lines = self.entry.get(LINES)
        return lines if isinstance(lines, dict) else {}

    def text(self, name: str) -> str | None:
        """An optional text field as given (checked later, with the rest of the spec)."""
        value = self.entry.get(name)
        return str(value) if value is not None else None


def _check_key_and_fields(checked: _Checked) -> None:
    if not checked.key or len(checked.key) > 100:
        checked.add(N_("meeting '{key}': missing field 'key'"))
    for unknown in sorted(set(checked.entry) - FIELDS - {"__line__", LINES}, key=str):
        checked.add(N_("meeting '{key}': unknown field '{field}'"), at=str(unknown), field=unknown)


def _wijk_ids(checked: _Checked, wijken: dict[str, Wijk]) -> tuple[list[int], bool]:
    """The wijken the meeting is for (codes known in the region), and whether it is for the whole region."""
    entry = checked.entry
    codes = entry.get("wijken", [entry["wijk"]] if "wijk" in entry else [])
    whole = entry.get("region") is True
    at = next((name for name in ("wijken", "wijk", "region") if name in entry), None)
    if not isinstance(codes, list) or (whole and codes):
        checked.add(N_("meeting '{key}': give 'wijk', 'wijken' or 'region: true'"), at=at)
        codes = []
    for code in codes:
        if str(code) not in wijken:
            checked.add(N_("meeting '{key}': unknown wijk '{wijk}'"), at=at, wijk=code)
    return [wijken[str(c)].id for c in codes if str(c) in wijken], whole


def _times(checked: _Checked) -> tuple[datetime | None, datetime | None]:
    start, end = _local(checked.entry.get("start")), _local(checked.entry.get("end"))
    if start is None or end is None:
        at = "start" if start is None else "end"
        checked.add(N_("meeting '{key}': 'start' and 'end' must be local times like 2027-03-25T19:00"), at=at)
    return start, end


def _audience(checked: _Checked) -> Audience:
    audience = str(checked.entry.get("audience", Audience.ALL.value))
    if audience not in {a.value for a in Audience}:
        checked.add(N_("meeting '{key}': 'audience' must be all or managers"), at="audience")
        return Audience.ALL
    return Audience(audience)


def _check_schedule(checked: _Checked, spec: MeetingSpec, start: datetime | None, *, before: int, today: date) -> None:
    """Reminders, RRULE and the texts, each on its own line; then, if the entry had no problem so far, the
    whole spec (what no one field decides: a place, a wijk, the duration)."""
    entry = checked.entry
    try:
        reminders = entry.get("reminders")
        if reminders is not None:
            if not isinstance(reminders, list):
                raise TimeInputError("bad_reminder")
            spec.reminder_minutes = parse_offsets([str(item) for item in reminders])
    except TimeInputError as exc:
        checked.add(ERRORS.get(exc.code, N_("meeting '{key}': not valid")), at="reminders")
    try:
        if entry.get("rrule") and start is not None:
            spec.rrule = check_rrule(str(entry["rrule"]), start)
    except TimeInputError as exc:
        checked.add(ERRORS.get(exc.code, N_("meeting '{key}': not valid")), at="rrule")
    for name, limit in TEXT_FIELDS:
        try:
            check_text(getattr(spec, name), limit, today, required=name == "title")
        except MeetingError as exc:
            checked.add(ERRORS.get(exc.code, N_("meeting '{key}': not valid")), at=name)
    try:
        check_url(spec.url)
    except MeetingError as exc:
        checked.add(ERRORS.get(exc.code, N_("meeting '{key}': not valid")), at="url")
    if len(checked.problems) != before:  # the spec as a whole only when its parts are fine: each problem once
        return
    try:
        check_spec(spec, today=today)
    except MeetingError as exc:
        checked.add(ERRORS.get(exc.code, N_("meeting '{key}': not valid")), at=SPEC_FIELDS.get(exc.code))


def _entry(entry: dict[str, Any], wijken: dict[str, Wijk], today: date, problems: list[Problem]) -> ImportedMeeting:
    checked = _Checked(entry, problems, key=str(entry.get("key") or "").strip(), line=entry.get("__line__"))
    before = len(problems)
    _check_key_and_fields(checked)
    wijk_ids, whole = _wijk_ids(checked, wijken)
    start, end = _times(checked)
    spec = MeetingSpec(
        title=str(entry.get("title") or ""),
        start_local=start or datetime(2000, 1, 1),
        duration_minutes=int((end - start).total_seconds() // 60) if start and end else 60,
        wijk_ids=wijk_ids,
        whole_region=whole,
        location=checked.text("location"),
        url=checked.text("url"),
        agenda=checked.text("agenda"),
        audience=_audience(checked),
        reminder_minutes=list(DEFAULT_REMINDERS),
    )
    _check_schedule(checked, spec, start, before=before, today=today)
    return ImportedMeeting(checked.key, spec, checked.line, dict(checked.lines))


def parse_meetings(text: str, wijken: dict[str, Wijk], today: date) -> list[ImportedMeeting]:
    """Parse and validate the whole file; raise NetworkFileError naming every problem with its line."""
    try:
        document = yaml.load(text, Loader=_FieldLineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise NetworkFileError([Problem(N_("not valid YAML"), {}, mark.line + 1 if mark else None)]) from exc
    if not isinstance(document, list) or not document:
        raise NetworkFileError([Problem(N_("the file must be a list of meetings"))])
    problems: list[Problem] = []
    found: list[ImportedMeeting] = []
    seen: set[str] = set()
    for entry in document:
        if not isinstance(entry, dict):
            problems.append(Problem(N_("every meeting must be a mapping")))  # a scalar or list: yaml keeps no line
            continue
        imported = _entry(entry, wijken, today, problems)
        if imported.key in seen:
            problems.append(Problem(N_("duplicate meeting key '{key}'"), {"key": imported.key}, imported.at("key")))
        seen.add(imported.key)
        found.append(imported)
    if problems:
        raise NetworkFileError(problems)
    return found


async def region_wijken(session: AsyncSession, region: Region) -> dict[str, Wijk]:
    """The region's active wijken by code."""
    rows = await session.scalars(select(Wijk).where(Wijk.region_id == region.id, Wijk.active.is_(True)))
    return {wijk.code: wijk for wijk in rows}


def _past_dates(spec: MeetingSpec, now_local: datetime) -> tuple[int, bool]:
    """How many of the entry's dates have begun by `now_local`, and whether any is still ahead."""
    if not spec.rrule:
        begun = spec.start_local <= now_local
        return int(begun), not begun
    ahead = rrulestr(spec.rrule, dtstart=spec.start_local).after(now_local) is not None
    return len(series(spec.start_local, spec.rrule, until_local=now_local)), ahead


async def _check_against_stored(
    session: AsyncSession, *, now: datetime, region: Region, meetings: list[ImportedMeeting], allow_past: bool
) -> tuple[dict[str, Meeting], list[Problem]]:
    """The stored meetings by key, and the warnings; raises NetworkFileError (before anything is written) for an
    entry that is all in the past (new or changed; an unchanged one is history) or whose meeting was cancelled."""
    keys = [item.key for item in meetings]
    stored = {
        meeting.key: meeting
        for meeting in await session.scalars(
            select(Meeting).where(Meeting.region_id == region.id, Meeting.key.in_(keys))
        )
        if meeting.key is not None
    }
    now_local = to_local(now, ZoneInfo(region.timezone)).replace(tzinfo=None)
    problems: list[Problem] = []
    warnings: list[Problem] = []
    for item in meetings:
        meeting = stored.get(item.key)
        params = {"key": item.key}
        if meeting is not None and meeting.cancelled_at is not None:
            problems.append(Problem(WAS_CANCELLED, params, item.at("key")))
            continue
        begun, ahead = _past_dates(item.spec, now_local)
        if not begun or (meeting is not None and not await meeting_differs(session, meeting, item.spec)):
            continue
        if not ahead:
            (warnings if allow_past else problems).append(
                Problem(PAST_ALLOWED if allow_past else PAST, params, item.at("start"))
            )
        elif meeting is None:  # a series begun already: its passed dates are not planned, say so once
            warnings.append(Problem(PARTLY_PAST, {**params, "count": begun}, item.at("start")))
    if problems:
        raise NetworkFileError(problems)
    return stored, warnings


async def missing_meetings(session: AsyncSession, *, now: datetime, region: Region, keys: list[str]) -> list[Missing]:
    """Imported meetings not among `keys` that still have dates ahead (those all in the past are history)."""
    rows = await session.execute(
        select(Meeting.key, Meeting.title, func.count(MeetingOccurrence.id), func.min(MeetingOccurrence.starts_at))
        .join(MeetingOccurrence, MeetingOccurrence.meeting_id == Meeting.id)
        .where(
            Meeting.region_id == region.id,
            Meeting.key.is_not(None),
            Meeting.key.not_in(keys),
            Meeting.cancelled_at.is_(None),
            MeetingOccurrence.status == OccurrenceStatus.SCHEDULED,
            MeetingOccurrence.starts_at > now,
        )
        .group_by(Meeting.id, Meeting.key, Meeting.title)
        .order_by(Meeting.key)
    )
    return [Missing(str(key), title, count, first) for key, title, count, first in rows]


async def cancel_missing_meeting(session: AsyncSession, *, now: datetime, region: Region, key: str) -> tuple[int, int]:
    """Cancel an imported meeting left out of the file as the organiser's *Alle data annuleren* does: every
    upcoming date (invitees told, once per person for a series; reminders dropped), and the meeting itself, so
    that the sweep plans no further dates. Returns (dates cancelled, invitees told)."""
    meeting = await session.scalar(select(Meeting).where(Meeting.region_id == region.id, Meeting.key == key))
    if meeting is None or meeting.cancelled_at is not None:
        return 0, 0
    dates = len(await upcoming_dates(session, meeting.id, now))
    told = await cancel_meeting(session, now=now, actor=None, meeting=meeting)
    return dates, told


async def import_meetings(
    session: AsyncSession,
    *,
    now: datetime,
    region: Region,
    meetings: list[ImportedMeeting],
    allow_past: bool = False,
    cancel_missing: bool = False,
) -> MeetingImportReport:
    """Create or update every meeting in the caller's transaction (all or nothing); list, or with `cancel_missing`
    cancel, the imported meetings the file no longer has. Raises NetworkFileError before writing anything when
    an entry is refused (all in the past without `allow_past`, or a cancelled key)."""
    stored, warnings = await _check_against_stored(
        session, now=now, region=region, meetings=meetings, allow_past=allow_past
    )
    report = MeetingImportReport(warnings=warnings)
    report.missing = await missing_meetings(session, now=now, region=region, keys=[item.key for item in meetings])
    for item in meetings:
        meeting = stored.get(item.key)
        if meeting is None:
            await create_meeting(session, now=now, region=region, author=None, spec=item.spec, key=item.key)
            report.created += 1
            continue
        await session.refresh(meeting, ["wijken"])
        if await update_meeting(session, now=now, meeting=meeting, spec=item.spec):
            report.updated += 1
        else:
            report.unchanged += 1
    if cancel_missing:
        for gone in report.missing:
            dates, told = await cancel_missing_meeting(session, now=now, region=region, key=gone.key)
            report.cancelled_dates += dates
            report.told += told
    return report
