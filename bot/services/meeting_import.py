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


def _entry(entry: dict[str, Any], wijken: dict[str, Wijk], today: date, problems: list[Problem]) -> ImportedMeeting:
    line = entry.get("__line__")
    key = str(entry.get("key") or "").strip()
    before = len(problems)

    def add(message: str, **params: Any) -> None:
        problems.append(Problem(message, {"key": key or "?", **params}, line))

    if not key or len(key) > 100:
        add(N_("meeting '{key}': missing field 'key'"))
    for unknown in sorted(set(entry) - FIELDS - {"__line__"}):
        add(N_("meeting '{key}': unknown field '{field}'"), field=unknown)
    codes = entry.get("wijken", [entry["wijk"]] if "wijk" in entry else [])
    whole = entry.get("region") is True
    if not isinstance(codes, list) or (whole and codes):
        add(N_("meeting '{key}': give 'wijk', 'wijken' or 'region: true'"))
        codes = []
    for code in codes:
        if str(code) not in wijken:
            add(N_("meeting '{key}': unknown wijk '{wijk}'"), wijk=code)
    start, end = _local(entry.get("start")), _local(entry.get("end"))
    if start is None or end is None:
        add(N_("meeting '{key}': 'start' and 'end' must be local times like 2027-03-25T19:00"))
    audience = str(entry.get("audience", Audience.ALL.value))
    if audience not in {a.value for a in Audience}:
        add(N_("meeting '{key}': 'audience' must be all or managers"))
        audience = Audience.ALL.value
    spec = MeetingSpec(
        title=str(entry.get("title") or ""),
        start_local=start or datetime(2000, 1, 1),
        duration_minutes=int((end - start).total_seconds() // 60) if start and end else 60,
        wijk_ids=[wijken[str(c)].id for c in codes if str(c) in wijken],
        whole_region=whole,
        location=str(entry["location"]) if entry.get("location") is not None else None,
        url=str(entry["url"]) if entry.get("url") is not None else None,
        agenda=str(entry["agenda"]) if entry.get("agenda") is not None else None,
        audience=Audience(audience),
        reminder_minutes=list(DEFAULT_REMINDERS),
    )
    try:
        reminders = entry.get("reminders")
        if reminders is not None:
            if not isinstance(reminders, list):
                raise TimeInputError("bad_reminder")
            spec.reminder_minutes = parse_offsets([str(item) for item in reminders])
        if entry.get("rrule") and start is not None:
            spec.rrule = check_rrule(str(entry["rrule"]), start)
        if len(problems) == before:
            check_spec(spec, today=today)
    except (TimeInputError, MeetingError) as exc:
        add(ERRORS.get(exc.code, N_("meeting '{key}': not valid")))
    return ImportedMeeting(key, spec, line)


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
