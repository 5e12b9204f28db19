"""The figures as a table: one row per unit (the region, each wijk, each practice), written as CSV for Excel."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_
from bot.services.figures import Figures, Level, Period, figures, lending, lending_matrix
from bot.services.figures_meetings import MeetingFigures, meeting_figures
from bot.services.requests import CancelReason
from db.models import Practice, Region, Wijk

Translate = Callable[[str], str]
Cell = str | int | float | None


@dataclass(frozen=True)
class ExcelStyle:
    """How a spreadsheet in a locale opens CSV: the field separator and the decimal mark."""

    delimiter: str
    decimal: str


# Dutch Excel reads a semicolon-separated file with decimal commas; English Excel commas and points.
EXCEL_STYLES = {"nl": ExcelStyle(";", ","), "en": ExcelStyle(",", ".")}


@dataclass(frozen=True)
class Unit:
    """A row's subject: a region, wijk or practice, by its code and name."""

    level: Level
    code: str
    name: str


LEVEL_NAMES = {
    Level.REGION: N_("region"),
    Level.WIJK: N_("wijk"),
    Level.PRACTICE: N_("practice"),
    Level.ROLE: N_("role"),
    Level.URGENCY: N_("urgency"),
}

# The columns, in order: the key a row holds and the header (translated). README "Monitoring" documents them.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("first_day", N_("from")),
    ("last_day", N_("to")),
    ("level", N_("level")),
    ("code", N_("code")),
    ("name", N_("name")),
    ("practices", N_("practices")),
    ("requests", N_("requests")),
    ("dayparts_asked", N_("day-parts asked")),
    ("dayparts_filled", N_("day-parts filled")),
    ("dayparts_unfilled", N_("day-parts unfilled")),
    ("dayparts_cancelled", N_("day-parts called off")),
    ("fill_rate", N_("fill rate (%)")),
    ("first_offer_median", N_("first offer, median (min)")),
    ("first_offer_p90", N_("first offer, p90 (min)")),
    ("fill_median", N_("filled, median (min)")),
    ("fill_p90", N_("filled, p90 (min)")),
    ("cancelled", N_("requests cancelled")),
    ("cancelled_solved", N_("cancelled: solved internally")),
    ("cancelled_not_needed", N_("cancelled: no longer needed")),
    ("cancelled_other", N_("cancelled: other")),
    ("round_1", N_("filled in round 1")),
    ("round_2", N_("filled in round 2")),
    ("round_3", N_("filled in round 3")),
    ("round_4", N_("filled in round 4")),
    ("round_group", N_("filled through the wijk group")),
    ("round_none", N_("filled, round unknown")),
    ("offers_made", N_("offers made")),
    ("offers_accepted", N_("offers accepted")),
    ("offers_declined", N_("offers declined")),
    ("offers_withdrawn", N_("offers withdrawn")),
    ("late_withdrawals", N_("withdrawn within 24 hours")),
    ("given", N_("day-parts given")),
    ("received", N_("day-parts received")),
    # Meetings: on the region's and the wijken's rows only.
    ("meetings_held", N_("meeting dates held")),
    ("meeting_invited", N_("invited to them")),
    ("answered_yes", N_("answered yes")),
    ("answered_no", N_("answered no")),
    ("answered_maybe", N_("answered maybe")),
    ("not_answered", N_("no answer")),
    ("action_points", N_("action points")),
    ("action_points_open", N_("action points open")),
    ("action_points_overdue", N_("action points overdue")),
)
MEETING_KEYS = tuple(key for key, _header in COLUMNS[COLUMNS.index(("meetings_held", "meeting dates held")) :])


def meeting_cells(found: MeetingFigures | None) -> dict[str, Cell]:
    """A unit's meeting columns; zeros for a wijk without meetings."""
    found = found or MeetingFigures(Level.WIJK, 0)
    return {
        "meetings_held": found.held,
        "meeting_invited": found.invited,
        "answered_yes": found.answers.get("y", 0),
        "answered_no": found.answers.get("n", 0),
        "answered_maybe": found.answers.get("m", 0),
        "not_answered": found.answers.get("none", 0),
        "action_points": found.action_points,
        "action_points_open": found.open_points,
        "action_points_overdue": found.overdue_points,
    }


def figure_row(figures_: Figures, unit: Unit, period: Period, translate: Translate) -> dict[str, Cell]:
    """One unit's figures as the cells of its row (numbers stay numbers; formatting is the writer's)."""
    cancelled = figures_.cancelled
    chosen = (CancelReason.SOLVED_INTERNALLY.value, CancelReason.NOT_NEEDED.value)
    rate = figures_.fill_rate
    return {
        "first_day": period.first_day.isoformat(),
        "last_day": period.last_day.isoformat(),
        "level": translate(LEVEL_NAMES[unit.level]),
        "code": unit.code,
        "name": unit.name,
        "practices": figures_.practices,
        "requests": figures_.requests,
        "dayparts_asked": figures_.dayparts_asked,
        "dayparts_filled": figures_.dayparts_filled,
        "dayparts_unfilled": figures_.dayparts_unfilled,
        "dayparts_cancelled": figures_.dayparts_cancelled,
        "fill_rate": None if rate is None else round(100 * rate, 1),
        "first_offer_median": _minutes(figures_.first_offer.median_minutes),
        "first_offer_p90": _minutes(figures_.first_offer.p90_minutes),
        "fill_median": _minutes(figures_.fill.median_minutes),
        "fill_p90": _minutes(figures_.fill.p90_minutes),
        "cancelled": sum(cancelled.values()),
        "cancelled_solved": cancelled.get(CancelReason.SOLVED_INTERNALLY.value, 0),
        "cancelled_not_needed": cancelled.get(CancelReason.NOT_NEEDED.value, 0),
        "cancelled_other": sum(n for reason, n in cancelled.items() if reason not in chosen),
        "round_1": figures_.ladder.get(1, 0),
        "round_2": figures_.ladder.get(2, 0),
        "round_3": figures_.ladder.get(3, 0),
        "round_4": figures_.ladder.get(4, 0),
        "round_group": figures_.ladder.get(0, 0),
        "round_none": figures_.ladder.get(None, 0),
        "offers_made": figures_.offers_made,
        "offers_accepted": figures_.offers.get("accepted", 0),
        "offers_declined": figures_.offers.get("declined", 0),
        "offers_withdrawn": figures_.offers.get("withdrawn", 0),
        "late_withdrawals": figures_.late_withdrawals,
        "given": figures_.given,
        "received": figures_.received,
        **dict.fromkeys(MEETING_KEYS),
    }


def _minutes(value: float | None) -> float | None:
    """Minutes to one decimal."""
    return None if value is None else round(value, 1)


def _cell(value: Cell, style: ExcelStyle) -> str:
    """A cell as the spreadsheet reads it: empty for none, the locale's decimal mark in fractions."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", style.decimal)
    return str(value)


def render_csv(rows: list[dict[str, Cell]], translate: Translate, style: ExcelStyle) -> str:
    """The header and the rows, in the style's separator and decimal mark."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=style.delimiter, lineterminator="\r\n")
    writer.writerow([translate(header) for _key, header in COLUMNS])
    for row in rows:
        writer.writerow([_cell(row[key], style) for key, _header in COLUMNS])
    return out.getvalue()


async def unit_names(session: AsyncSession, region_id: int) -> dict[tuple[Level, int | str], Unit]:
    """Code and name of the region, its wijken and its practices."""
    names: dict[tuple[Level, int | str], Unit] = {}
    region = await session.get(Region, region_id)
    if region is not None:
        names[Level.REGION, region.id] = Unit(Level.REGION, region.code, region.name)
    for id_, code, name in (
        await session.execute(select(Wijk.id, Wijk.code, Wijk.name).where(Wijk.region_id == region_id))
    ).all():
        names[Level.WIJK, id_] = Unit(Level.WIJK, code, name)
    query = select(Practice.id, Practice.code, Practice.name).where(Practice.region_id == region_id)
    for id_, code, name in (await session.execute(query)).all():
        names[Level.PRACTICE, id_] = Unit(Level.PRACTICE, code, name)
    return names


async def report_rows(
    session: AsyncSession,
    *,
    region_id: int,
    period: Period,
    translate: Translate,
    wijk_id: int | None = None,
    now: datetime | None = None,
    levels: tuple[Level, ...] = (Level.REGION, Level.WIJK, Level.PRACTICE, Level.ROLE, Level.URGENCY),
) -> list[dict[str, Cell]]:
    """The table: the region (or the one wijk's total), then each wijk, each practice, each role asked for and
    each urgency (by their codes); with `now`, the region's and wijken's rows have their meetings too."""
    names = await unit_names(session, region_id)
    meetings: dict[tuple[Level, int | str], MeetingFigures] = {}
    if now is not None:
        today = now.astimezone(period.start.tzinfo).date()
        for level in (Level.REGION, Level.WIJK):
            for mf in await meeting_figures(
                session, region_id=region_id, period=period, now=now, today=today, level=level
            ):
                meetings[level, mf.unit_id] = mf
    rows: list[dict[str, Cell]] = []
    for level in levels:
        if level is Level.REGION and wijk_id is not None:
            continue  # the wijk's own row is its total
        found = await figures(session, region_id=region_id, period=period, level=level, wijk_id=wijk_id)
        if level in (Level.ROLE, Level.URGENCY):
            names.update({(level, f.unit_id): Unit(level, str(f.unit_id), str(f.unit_id)) for f in found})
        named = [(names[level, f.unit_id], f) for f in found if (level, f.unit_id) in names]
        # By code, as a reader looks a wijk or practice up.
        for unit, f in sorted(named, key=lambda pair: pair[0].code):
            row = figure_row(f, unit, period, translate)
            if now is not None and level in (Level.REGION, Level.WIJK):
                row.update(meeting_cells(meetings.get((level, f.unit_id))))
            rows.append(row)
    return rows


# A figure about fewer practices than this could point at one of them: practice managers and GPs do not see it.
MIN_PRACTICES = 3


@dataclass(frozen=True)
class Shown:
    """One unit's figures as a reader may see them."""

    unit: Unit
    figures: Figures


async def own_view(session: AsyncSession, *, practice: Practice, period: Period) -> list[Shown]:
    """A practice's figures beside its wijk's and its region's; a wijk or region of fewer than three practices
    is left out, and no other practice is named."""
    names = await unit_names(session, practice.region_id)
    shown = []
    for level, unit_id in (
        (Level.PRACTICE, practice.id),
        (Level.WIJK, practice.wijk_id),
        (Level.REGION, practice.region_id),
    ):
        wijk_id = practice.wijk_id if level is Level.PRACTICE else None
        rows = await figures(session, region_id=practice.region_id, period=period, level=level, wijk_id=wijk_id)
        found = next((row for row in rows if row.unit_id == unit_id), None)
        if found is not None and (level is Level.PRACTICE or found.practices >= MIN_PRACTICES):
            shown.append(Shown(names[level, unit_id], found))
    return shown


async def coordinator_view(
    session: AsyncSession, *, region_id: int, period: Period, wijk_id: int | None
) -> tuple[list[Shown], list[Shown]]:
    """The region's (or one wijk's) total, and the units below it: the wijken, or the wijk's practices."""
    names = await unit_names(session, region_id)
    top_level = Level.REGION if wijk_id is None else Level.WIJK
    below = Level.WIJK if wijk_id is None else Level.PRACTICE
    top = [
        Shown(names[top_level, row.unit_id], row)
        for row in await figures(session, region_id=region_id, period=period, level=top_level, wijk_id=wijk_id)
        if (top_level, row.unit_id) in names
    ]
    parts = [
        Shown(names[below, row.unit_id], row)
        for row in await figures(session, region_id=region_id, period=period, level=below, wijk_id=wijk_id)
        if (below, row.unit_id) in names
    ]
    return top, sorted(parts, key=lambda shown: shown.unit.code)


LENDING_COLUMNS = (N_("helping"), N_("helped"), N_("role"), N_("day-parts"))
NO_PRACTICE = N_("student pool or former member")


async def lending_csv(
    session: AsyncSession,
    *,
    region_id: int,
    period: Period,
    translate: Translate,
    style: ExcelStyle,
    wijk_id: int | None,
) -> str:
    """Who helped whom: wijk by wijk for the region, practice by practice for one wijk's requests, per role; one
    row per pair and role, as a spreadsheet pivots it."""
    names = await unit_names(session, region_id)
    level = Level.WIJK if wijk_id is None else Level.PRACTICE
    cells = await lending(session, region_id=region_id, period=period, wijk_id=wijk_id)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=style.delimiter, lineterminator="\r\n")
    writer.writerow([translate(header) for header in LENDING_COLUMNS])
    for (helper, helped, role), dayparts in sorted(
        lending_matrix(cells, level).items(), key=lambda item: (item[0][0] or 0, item[0][1], item[0][2])
    ):
        helper_code = names[level, helper].code if helper is not None and (level, helper) in names else None
        writer.writerow([helper_code or translate(NO_PRACTICE), names[level, helped].code, role, dayparts])
    return out.getvalue()
