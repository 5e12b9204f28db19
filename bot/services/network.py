"""The regional network file: validate it whole, then import it idempotently."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.config import SUPPORTED_LANGUAGES
from bot.i18n import N_
from db.models import Practice, Region, Wijk

# What the medical-student pool may fill unless the region says otherwise: "any assistant" and the role itself.
DEFAULT_STUDENT_ROLES: tuple[str, ...] = ("assistent", "medisch-student")
STUDENT_ROLE_CHOICES: tuple[str, ...] = (
    "huisarts",
    "doktersassistent",
    "poh-s",
    "poh-ggz",
    "triagist",
    "medisch-student",
    "assistent",
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a network file: a translatable message, its values, and where."""

    message: str
    params: dict[str, Any] = field(default_factory=dict)
    line: int | None = None


class NetworkFileError(Exception):
    """The file is refused whole; every problem found is listed."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in network file")
        self.problems = problems


@dataclass(frozen=True)
class WijkSpec:
    code: str
    name: str
    adjacent: tuple[str, ...]


@dataclass(frozen=True)
class PracticeSpec:
    code: str
    name: str
    wijk: str
    partners: tuple[str, ...]


@dataclass(frozen=True)
class NetworkSpec:
    """A validated network file."""

    code: str
    name: str
    timezone: str
    locale: str
    wijken: tuple[WijkSpec, ...]
    practices: tuple[PracticeSpec, ...]
    student_roles: tuple[str, ...] = DEFAULT_STUDENT_ROLES
    meetings_by_managers: bool = False


@dataclass
class ImportReport:
    """What an import changed; all zero but `unchanged` for a re-import of the same file."""

    region_created: bool = False
    created: int = 0
    updated: int = 0
    deactivated: int = 0
    unchanged: int = 0


class _LineLoader(yaml.SafeLoader):
    """A safe YAML loader that remembers the line of every mapping, to name it in problems."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping = super().construct_mapping(node, deep=deep)
        mapping["__line__"] = node.start_mark.line + 1
        return mapping


class _Checker:
    """Collects every problem instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, message: str, line: int | None, **params: Any) -> None:
        self.problems.append(Problem(message, params, line))

    def text(self, entry: dict[str, Any], key: str, what: str) -> str:
        value = entry.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            self.add(N_("{what}: missing field '{field}'"), entry.get("__line__"), what=what, field=key)
            return ""
        if not isinstance(value, str | int):
            self.add(N_("{what}: field '{field}' must be text"), entry.get("__line__"), what=what, field=key)
            return ""
        return str(value).strip()

    def codes(self, entry: dict[str, Any], key: str, what: str) -> tuple[str, ...]:
        value = entry.get(key, [])
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(item, str | int) for item in value):
            self.add(N_("{what}: field '{field}' must be a list of codes"), entry.get("__line__"), what=what, field=key)
            return ()
        return tuple(str(item) for item in value)

    def entries(self, document: dict[str, Any], key: str) -> list[dict[str, Any]]:
        value = document.get(key)
        if not isinstance(value, list) or not value:
            self.add(N_("missing or empty list '{field}'"), None, field=key)
            return []
        good = [item for item in value if isinstance(item, dict)]
        if len(good) != len(value):
            self.add(N_("every entry of '{field}' must be a mapping"), None, field=key)
        return good


@dataclass(frozen=True)
class _RegionPart:
    """The file's `region` mapping, checked."""

    code: str
    name: str
    timezone: str
    locale: str
    student_roles: tuple[str, ...]
    meetings_by_managers: bool


def _load(text: str) -> dict[str, Any]:
    """The YAML document, which must be a mapping; anything else refuses the file at once."""
    try:
        document = yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise NetworkFileError([Problem(N_("not valid YAML"), {}, line)]) from exc
    if not isinstance(document, dict):
        raise NetworkFileError([Problem(N_("the file must be a mapping with region, wijken, practices"))])
    return document


def _student_roles(check: _Checker, region: dict[str, Any], what: str) -> tuple[str, ...]:
    if "student_roles" not in region:
        return DEFAULT_STUDENT_ROLES
    student_roles = check.codes(region, "student_roles", what)
    for role in student_roles:
        if role not in STUDENT_ROLE_CHOICES:
            check.add(
                N_("{what}: unknown role '{value}' in student_roles"), region.get("__line__"), what=what, value=role
            )
    return student_roles


def _region_part(check: _Checker, document: dict[str, Any]) -> _RegionPart:
    region = document.get("region")
    if not isinstance(region, dict):
        check.add(N_("missing mapping 'region'"), None)
        region = {}
    what = "region"
    code = check.text(region, "code", what)
    name = check.text(region, "name", what)
    timezone = str(region.get("timezone") or "Europe/Amsterdam")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        check.add(N_("{what}: unknown time zone '{value}'"), region.get("__line__"), what=what, value=timezone)
    locale = str(region.get("locale") or "nl")
    if locale not in SUPPORTED_LANGUAGES:
        check.add(N_("{what}: locale must be nl or en, not '{value}'"), region.get("__line__"), what=what, value=locale)
    by_managers = region.get("meetings_by_managers", False)
    if not isinstance(by_managers, bool):
        check.add(
            N_("{what}: field '{field}' must be true or false"),
            region.get("__line__"),
            what=what,
            field="meetings_by_managers",
        )
        by_managers = False
    return _RegionPart(code, name, timezone, locale, _student_roles(check, region, what), by_managers)


def _wijken_part(check: _Checker, document: dict[str, Any]) -> tuple[list[WijkSpec], dict[str, int | None]]:
    """The wijken, and the line of each wijk code (for the practices' references)."""
    wijken: list[WijkSpec] = []
    wijk_lines: dict[str, int | None] = {}
    for entry in check.entries(document, "wijken"):
        what = f"wijk '{entry.get('code', '?')}'"
        spec = WijkSpec(
            check.text(entry, "code", what), check.text(entry, "name", what), check.codes(entry, "adjacent", what)
        )
        if spec.code in wijk_lines:
            check.add(N_("duplicate wijk code '{code}'"), entry.get("__line__"), code=spec.code)
        wijk_lines[spec.code] = entry.get("__line__")
        wijken.append(spec)
    for spec in wijken:
        for other in spec.adjacent:
            if other not in wijk_lines:
                check.add(
                    N_("wijk '{code}': adjacent to unknown wijk '{other}'"),
                    wijk_lines[spec.code],
                    code=spec.code,
                    other=other,
                )
            elif other == spec.code:
                check.add(N_("wijk '{code}': cannot be adjacent to itself"), wijk_lines[spec.code], code=spec.code)
    return wijken, wijk_lines


def _practices_part(check: _Checker, document: dict[str, Any], wijk_lines: dict[str, int | None]) -> list[PracticeSpec]:
    practices: list[PracticeSpec] = []
    practice_lines: dict[str, int | None] = {}
    for entry in check.entries(document, "practices"):
        what = f"practice '{entry.get('code', '?')}'"
        spec_p = PracticeSpec(
            check.text(entry, "code", what),
            check.text(entry, "name", what),
            check.text(entry, "wijk", what),
            check.codes(entry, "partners", what),
        )
        if spec_p.code in practice_lines:
            check.add(N_("duplicate practice code '{code}'"), entry.get("__line__"), code=spec_p.code)
        practice_lines[spec_p.code] = entry.get("__line__")
        if spec_p.wijk and spec_p.wijk not in wijk_lines:
            check.add(
                N_("practice '{code}': unknown wijk '{wijk}'"),
                entry.get("__line__"),
                code=spec_p.code,
                wijk=spec_p.wijk,
            )
        practices.append(spec_p)
    for spec_p in practices:
        for partner in spec_p.partners:
            if partner not in practice_lines:
                check.add(
                    N_("practice '{code}': unknown partner '{partner}'"),
                    practice_lines[spec_p.code],
                    code=spec_p.code,
                    partner=partner,
                )
            elif partner == spec_p.code:
                check.add(
                    N_("practice '{code}': cannot be its own partner"), practice_lines[spec_p.code], code=spec_p.code
                )
    return practices


def parse_network(text: str) -> NetworkSpec:
    """Parse and validate a network file; raise NetworkFileError naming every problem."""
    document = _load(text)
    check = _Checker()
    region = _region_part(check, document)
    wijken, wijk_lines = _wijken_part(check, document)
    practices = _practices_part(check, document, wijk_lines)
    if check.problems:
        raise NetworkFileError(check.problems)
    return NetworkSpec(
        region.code,
        region.name,
        region.timezone,
        region.locale,
        tuple(wijken),
        tuple(practices),
        student_roles=tuple(region.student_roles),
        meetings_by_managers=region.meetings_by_managers,
    )


def _set(obj: Any, **values: Any) -> bool:
    """Assign the values that differ; return whether anything changed."""
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def _symmetric(pairs: dict[str, tuple[str, ...]]) -> dict[str, set[str]]:
    """Adjacency and continuity contracts go both ways, even if the file names one side only."""
    links: dict[str, set[str]] = {code: set() for code in pairs}
    for code, others in pairs.items():
        for other in others:
            links[code].add(other)
            links[other].add(code)
    return links


def _count_link_change(
    report: ImportReport, changed: set[tuple[str, str]], key: tuple[str, str], *, existed: bool
) -> None:
    """New adjacency or partners: an update of a thing that existed (once), nothing extra for a new one."""
    if existed and key not in changed:
        changed.add(key)
        report.updated += 1
        report.unchanged -= 1


async def _import_region(session: AsyncSession, spec: NetworkSpec, report: ImportReport) -> Region:
    """The region by its code: created, or its settings brought up to date."""
    region = await session.scalar(select(Region).where(Region.code == spec.code))
    if region is None:
        region = Region(
            code=spec.code,
            name=spec.name,
            timezone=spec.timezone,
            locale=spec.locale,
            student_roles=list(spec.student_roles),
            meetings_by_managers=spec.meetings_by_managers,
        )
        session.add(region)
        report.region_created = True
    elif _set(
        region,
        name=spec.name,
        timezone=spec.timezone,
        locale=spec.locale,
        student_roles=list(spec.student_roles),
        meetings_by_managers=spec.meetings_by_managers,
    ):
        report.updated += 1
    await session.flush()
    return region


async def _import_wijken(
    session: AsyncSession, region: Region, spec: NetworkSpec, report: ImportReport, changed: set[tuple[str, str]]
) -> dict[str, Wijk]:
    """The file's wijken created or updated, the others deactivated, then the adjacency; returns the file's
    wijken by code."""
    existing_wijken = {
        w.code: w
        for w in await session.scalars(
            select(Wijk).where(Wijk.region_id == region.id).options(selectinload(Wijk.adjacent))
        )
    }
    wijk_by_code: dict[str, Wijk] = {}
    for wspec in spec.wijken:
        wijk = existing_wijken.get(wspec.code)
        if wijk is None:
            wijk = Wijk(region_id=region.id, code=wspec.code, name=wspec.name, active=True, adjacent=[])
            session.add(wijk)
            report.created += 1
        elif _set(wijk, name=wspec.name, active=True):
            report.updated += 1
            changed.add(("wijk", wspec.code))
        else:
            report.unchanged += 1
        wijk_by_code[wspec.code] = wijk
    for code, wijk in existing_wijken.items():
        if code not in wijk_by_code and wijk.active:
            wijk.active = False
            report.deactivated += 1
    await session.flush()
    _link_wijken(spec, wijk_by_code, report, changed, existed=set(existing_wijken))
    return wijk_by_code


def _link_wijken(
    spec: NetworkSpec,
    wijk_by_code: dict[str, Wijk],
    report: ImportReport,
    changed: set[tuple[str, str]],
    *,
    existed: set[str],
) -> None:
    """Each wijk's adjacency as the file says (both ways)."""
    adjacency = _symmetric({w.code: w.adjacent for w in spec.wijken})
    for code, wijk in wijk_by_code.items():
        wanted = sorted(adjacency[code])
        if sorted(w.code for w in wijk.adjacent) != wanted:
            wijk.adjacent = [wijk_by_code[other] for other in wanted]
            _count_link_change(report, changed, ("wijk", code), existed=code in existed)


async def _import_practices(
    session: AsyncSession,
    region: Region,
    spec: NetworkSpec,
    wijk_by_code: dict[str, Wijk],
    report: ImportReport,
    changed: set[tuple[str, str]],
) -> None:
    """The file's practices created or updated, the others deactivated, then the partners."""
    existing_practices = {
        p.code: p
        for p in await session.scalars(
            select(Practice).where(Practice.region_id == region.id).options(selectinload(Practice.partners))
        )
    }
    practice_by_code: dict[str, Practice] = {}
    for pspec in spec.practices:
        wijk = wijk_by_code[pspec.wijk]
        practice = existing_practices.get(pspec.code)
        if practice is None:
            practice = Practice(
                region_id=region.id, wijk_id=wijk.id, code=pspec.code, name=pspec.name, active=True, partners=[]
            )
            session.add(practice)
            report.created += 1
        elif _set(practice, name=pspec.name, wijk_id=wijk.id, active=True):
            report.updated += 1
            changed.add(("practice", pspec.code))
        else:
            report.unchanged += 1
        practice_by_code[pspec.code] = practice
    for code, practice in existing_practices.items():
        if code not in practice_by_code and practice.active:
            practice.active = False
            report.deactivated += 1
    await session.flush()
    _link_practices(spec, practice_by_code, report, changed, existed=set(existing_practices))


def _link_practices(
    spec: NetworkSpec,
    practice_by_code: dict[str, Practice],
    report: ImportReport,
    changed: set[tuple[str, str]],
    *,
    existed: set[str],
) -> None:
    """Each practice's partners as the file says (both ways)."""
    partners = _symmetric({p.code: p.partners for p in spec.practices})
    for code, practice in practice_by_code.items():
        wanted = sorted(partners[code])
        if sorted(p.code for p in practice.partners) != wanted:
            practice.partners = [practice_by_code[other] for other in wanted]
            _count_link_change(report, changed, ("practice", code), existed=code in existed)


async def import_network(session: AsyncSession, spec: NetworkSpec) -> ImportReport:
    """Create or update the region, its wijken and practices from a validated spec, in the caller's transaction."""
    report = ImportReport()
    region = await _import_region(session, spec, report)
    changed: set[tuple[str, str]] = set()  # what already counts as updated, so a thing is counted once
    wijk_by_code = await _import_wijken(session, region, spec, report, changed)
    await _import_practices(session, region, spec, wijk_by_code, report, changed)
    await session.flush()
    return report


async def active_wijken(session: AsyncSession, region_id: int) -> list[Wijk]:
    """The region's wijken that are in the current network file, by name."""
    return list(
        await session.scalars(
            select(Wijk).where(Wijk.region_id == region_id, Wijk.active.is_(True)).order_by(Wijk.name)
        )
    )


async def active_practices(session: AsyncSession, wijk_id: int) -> list[Practice]:
    """A wijk's practices that are in the current network file, by name."""
    return list(
        await session.scalars(
            select(Practice).where(Practice.wijk_id == wijk_id, Practice.active.is_(True)).order_by(Practice.name)
        )
    )


async def find_practice(session: AsyncSession, region_id: int, code: str) -> Practice | None:
    """A practice of the region by its code."""
    return await session.scalar(select(Practice).where(Practice.region_id == region_id, Practice.code == code))
