"""The meetings file (a year's schedule): validate every entry, then import all of it or nothing.

Each entry has a stable `key`; importing the same file again changes nothing, a changed entry updates its
meeting (and tells the invitees), a bad entry refuses the whole file with its line named.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_
from bot.services.meeting_changes import update_meeting
from bot.services.meeting_times import DEFAULT_REMINDERS, TimeInputError, check_rrule, parse_offsets
from bot.services.meetings import MeetingError, MeetingSpec, check_spec, create_meeting
from bot.services.network import NetworkFileError, Problem, _LineLoader
from db.meetings import Audience, Meeting
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
}


@dataclass(frozen=True)
class ImportedMeeting:
    """One validated entry."""

    key: str
    spec: MeetingSpec
    line: int | None


@dataclass
class MeetingImportReport:
    """What an import did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


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

    def add(self, message: str, **params: Any) -> None:
        self.problems.append(Problem(message, {"key": self.key or "?", **params}, self.line))

    def text(self, name: str) -> str | None:
        """An optional text field as given (checked later, with the rest of the spec)."""
        value = self.entry.get(name)
        return str(value) if value is not None else None


def _check_key_and_fields(checked: _Checked) -> None:
    if not checked.key or len(checked.key) > 100:
        checked.add(N_("meeting '{key}': missing field 'key'"))
    for unknown in sorted(set(checked.entry) - FIELDS - {"__line__"}):
        checked.add(N_("meeting '{key}': unknown field '{field}'"), field=unknown)


def _wijk_ids(checked: _Checked, wijken: dict[str, Wijk]) -> tuple[list[int], bool]:
    """The wijken the meeting is for (codes known in the region), and whether it is for the whole region."""
    entry = checked.entry
    codes = entry.get("wijken", [entry["wijk"]] if "wijk" in entry else [])
    whole = entry.get("region") is True
    if not isinstance(codes, list) or (whole and codes):
        checked.add(N_("meeting '{key}': give 'wijk', 'wijken' or 'region: true'"))
        codes = []
    for code in codes:
        if str(code) not in wijken:
            checked.add(N_("meeting '{key}': unknown wijk '{wijk}'"), wijk=code)
    return [wijken[str(c)].id for c in codes if str(c) in wijken], whole


def _times(checked: _Checked) -> tuple[datetime | None, datetime | None]:
    start, end = _local(checked.entry.get("start")), _local(checked.entry.get("end"))
    if start is None or end is None:
        checked.add(N_("meeting '{key}': 'start' and 'end' must be local times like 2027-03-25T19:00"))
    return start, end


def _audience(checked: _Checked) -> Audience:
    audience = str(checked.entry.get("audience", Audience.ALL.value))
    if audience not in {a.value for a in Audience}:
        checked.add(N_("meeting '{key}': 'audience' must be all or managers"))
        return Audience.ALL
    return Audience(audience)


def _check_schedule(
    checked: _Checked, spec: MeetingSpec, start: datetime | None, *, check_all: bool, today: date
) -> None:
    """Reminders and RRULE into the spec; then, if the entry had no problem so far, the whole spec. The first
    problem found here is the entry's last."""
    entry = checked.entry
    try:
        reminders = entry.get("reminders")
        if reminders is not None:
            if not isinstance(reminders, list):
                raise TimeInputError("bad_reminder")
            spec.reminder_minutes = parse_offsets([str(item) for item in reminders])
        if entry.get("rrule") and start is not None:
            spec.rrule = check_rrule(str(entry["rrule"]), start)
        if check_all:
            check_spec(spec, today=today)
    except (TimeInputError, MeetingError) as exc:
        checked.add(ERRORS.get(exc.code, N_("meeting '{key}': not valid")))


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
    # The spec as a whole is checked only when its parts were fine, so that each problem is said once.
    _check_schedule(checked, spec, start, check_all=len(problems) == before, today=today)
    return ImportedMeeting(checked.key, spec, checked.line)


def parse_meetings(text: str, wijken: dict[str, Wijk], today: date) -> list[ImportedMeeting]:
    """Parse and validate the whole file; raise NetworkFileError naming every problem with its line."""
    try:
        document = yaml.load(text, Loader=_LineLoader)
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
            problems.append(Problem(N_("every meeting must be a mapping")))
            continue
        imported = _entry(entry, wijken, today, problems)
        if imported.key in seen:
            problems.append(Problem(N_("duplicate meeting key '{key}'"), {"key": imported.key}, imported.line))
        seen.add(imported.key)
        found.append(imported)
    if problems:
        raise NetworkFileError(problems)
    return found


async def region_wijken(session: AsyncSession, region: Region) -> dict[str, Wijk]:
    """The region's active wijken by code."""
    rows = await session.scalars(select(Wijk).where(Wijk.region_id == region.id, Wijk.active.is_(True)))
    return {wijk.code: wijk for wijk in rows}


async def import_meetings(
    session: AsyncSession, *, now: datetime, region: Region, meetings: list[ImportedMeeting]
) -> MeetingImportReport:
    """Create or update every meeting in the caller's transaction (all or nothing)."""
    report = MeetingImportReport()
    for item in meetings:
        meeting = await session.scalar(select(Meeting).where(Meeting.region_id == region.id, Meeting.key == item.key))
        if meeting is None:
            await create_meeting(session, now=now, region=region, author=None, spec=item.spec, key=item.key)
            report.created += 1
            continue
        await session.refresh(meeting, ["wijken"])
        if await update_meeting(session, now=now, meeting=meeting, spec=item.spec):
            report.updated += 1
        else:
            report.unchanged += 1
    return report
