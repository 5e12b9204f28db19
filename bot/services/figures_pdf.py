"""The full report of a period as a PDF: the key figures and the fill-rate chart, the units as a table, who helps
whom and the meetings; for the command line (`--format pdf`), the buttons of /cijfers and the monthly report.

Drawn with matplotlib's own PDF backend (no further dependency), on plain Figures rather than pyplot, so that a
report drawn in a worker thread shares no global state. Labels go through gettext and numbers through Babel. The
file carries no creation date: the same figures give the same bytes.
"""

from __future__ import annotations

import asyncio
import io
import re
import textwrap
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from bot.role_names import role_label
from bot.services.figures import (
    Duration,
    Figures,
    Level,
    OwnLending,
    Period,
    lending,
    lending_matrix,
    own_lending,
)
from bot.services.figures_chart import draw_fill_rate
from bot.services.figures_meetings import MeetingFigures, meeting_figures
from bot.services.figures_report import NO_PRACTICE, Shown, Unit, coordinator_view, own_view, unit_names
from db.models import Practice

PAGE = (11.69, 8.27)  # A4 landscape, inches: tables of ten columns stay readable
LEFT = 0.06
TABLE_ROWS = 18  # rows of a table page: more go on the next page
MATRIX_UNITS = 8  # helping and helped units in the matrix: the busiest (the list per role names more)
PAIR_ROWS = 2 * TABLE_ROWS  # pairs listed per role: the largest; a region's hundreds would fill twenty pages
OWN_ROWS = 7  # partners listed per direction in a practice's own row; the rest as one number
NAME_WIDTH = 27  # characters of a name in a table's first column
BLUE = "#2a7ab0"
GREY = "#555555"


@dataclass(frozen=True)
class Pair:
    """Day-parts of one role lent from one unit to another (helper None: the student pool or former members)."""

    helper: str
    helped: str
    role: str
    dayparts: int


@dataclass(frozen=True)
class ReportData:
    """What the report shows; gathered by SQL first, drawn (in a thread) after."""

    period: Period
    made: date
    units: list[Shown]  # the unit the report is about first, then those below it (or, own view: beside it)
    own: bool  # a practice's own view: the practice, its wijk, its region; other practices never named
    pairs: list[Pair]  # who helps whom (coordinators)
    matrix_level: Level  # between wijken or between practices
    own_pairs: list[OwnLending]  # the practice's own row (own view)
    meetings: list[tuple[Unit, MeetingFigures]]


def period_text(language: str, period: Period) -> str:
    """`november 2026`, or `december 2025 – november 2026`."""
    last = format_date(period.last_day, "MMMM y", locale=language)
    if (period.first_day.year, period.first_day.month) == (period.last_day.year, period.last_day.month):
        return last
    return f"{format_date(period.first_day, 'MMMM y', locale=language)} – {last}"


def minutes_text(t: Translator, minutes: float) -> str:
    """A duration readable at a glance: minutes up to two hours, then hours."""
    if minutes < 120:
        return t.gettext("{minutes} min").format(minutes=round(minutes))
    return t.gettext("{hours} h").format(hours=format_decimal(round(minutes / 60, 1), locale=t.language))


def median_p90(t: Translator, duration: Duration) -> str:
    """`median 15 min, p90 30 min`, or a dash when there is nothing to measure."""
    if duration.median_minutes is None or duration.p90_minutes is None:
        return "–"
    return t.gettext("median {median}, p90 {p90}").format(
        median=minutes_text(t, duration.median_minutes), p90=minutes_text(t, duration.p90_minutes)
    )


async def report_data(
    session: AsyncSession,
    *,
    region_id: int,
    period: Period,
    wijk_id: int | None,
    now: datetime,
    practice: Practice | None = None,
) -> ReportData:
    """The report's figures: a coordinator's for the region or one wijk; with `practice`, that practice's own
    view (its wijk and region beside it when they hold three practices or more, and its own row of who helps
    whom)."""
    today = now.astimezone(period.start.tzinfo).date()
    if practice is not None:
        units = await own_view(session, practice=practice, period=period)
        pairs: list[Pair] = []
        own_pairs = await own_lending(session, practice=practice, period=period)
    else:
        top, parts = await coordinator_view(session, region_id=region_id, period=period, wijk_id=wijk_id)
        units = top + parts
        pairs = await _pairs(session, region_id=region_id, period=period, wijk_id=wijk_id)
        own_pairs = []
    wanted = {(shown.unit.level, shown.unit.code) for shown in units}
    names = await unit_names(session, region_id)
    meetings = []
    for level in (Level.REGION, Level.WIJK):
        found = await meeting_figures(session, region_id=region_id, period=period, now=now, today=today, level=level)
        for figures_ in found:
            unit = names.get((level, figures_.unit_id))
            if unit is not None and (level, unit.code) in wanted:
                meetings.append((unit, figures_))
    return ReportData(
        period=period,
        made=today,
        units=units,
        own=practice is not None,
        pairs=pairs,
        matrix_level=Level.WIJK if wijk_id is None else Level.PRACTICE,
        own_pairs=own_pairs,
        meetings=meetings,
    )


async def _pairs(session: AsyncSession, *, region_id: int, period: Period, wijk_id: int | None) -> list[Pair]:
    """Who helped whom, by name: wijk by wijk for the region, practice by practice for a wijk's requests."""
    names = await unit_names(session, region_id)
    level = Level.WIJK if wijk_id is None else Level.PRACTICE
    cells = await lending(session, region_id=region_id, period=period, wijk_id=wijk_id)
    pairs = []
    for (helper, helped, role), dayparts in lending_matrix(cells, level).items():
        helper_unit = names.get((level, helper)) if helper is not None else None
        helped_unit = names.get((level, helped))
        pairs.append(
            Pair(helper_unit.name if helper_unit else "", helped_unit.name if helped_unit else "", role, dayparts)
        )
    return sorted(pairs, key=lambda pair: (-pair.dayparts, pair.helper or "~", pair.helped, pair.role))


async def report_pdf(
    session: AsyncSession,
    *,
    region_id: int,
    period: Period,
    wijk_id: int | None,
    t: Translator,
    now: datetime,
    practice: Practice | None = None,
) -> bytes:
    """The report as PDF bytes (see report_data for what it covers); drawn in a worker thread, since a few
    pages take a moment of CPU that the bot's event loop should not wait for."""
    data = await report_data(session, region_id=region_id, period=period, wijk_id=wijk_id, now=now, practice=practice)
    return await asyncio.to_thread(render_pdf, data, t)


def render_pdf(data: ReportData, t: Translator) -> bytes:
    """The pages: the key figures and the chart; the units; who helps whom; the meetings."""
    from matplotlib.backends.backend_pdf import PdfPages

    title = report_title(t, data)
    out = io.BytesIO()
    # No CreationDate: the same figures make the same file (and the tests' bytes are stable).
    metadata = {"CreationDate": None, "Title": title, "Creator": "Wijkhulp"}
    with PdfPages(out, metadata=metadata) as pdf:
        _draw(data, t, pdf.savefig)
    return out.getvalue()


def pdf_pages(pdf: bytes) -> int:
    """How many pages a PDF this module wrote has (its page objects; `/Type /Pages` is the tree)."""
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))


def render_png_pages(data: ReportData, t: Translator, dpi: int = 60) -> list[bytes]:
    """The same pages as PNG images (for the README's example)."""
    pages: list[bytes] = []

    def save(figure: Any) -> None:
        out = io.BytesIO()
        figure.savefig(out, format="png", dpi=dpi)
        pages.append(out.getvalue())

    _draw(data, t, save)
    return pages


def report_title(t: Translator, data: ReportData) -> str:
    """`Wijkhulp: Maastricht Centrum, november 2026`."""
    head = data.units[0].unit.name if data.units else ""
    return t.gettext("Wijkhulp: {unit}, {period}").format(unit=head, period=period_text(t.language, data.period))


def _draw(data: ReportData, t: Translator, save: Callable[[Any], None]) -> None:
    """Draw every page and hand each to `save`."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    pages = _Pages(t, Figure, save, report_title(t, data))
    pages.front(data)
    pages.units(data)
    if data.own:
        pages.own_lending(data)
    else:
        pages.lending(data)
    pages.meetings(data)


def _number(t: Translator, value: float | None) -> str:
    """An integer or fraction in the reader's locale; a dash for nothing to measure."""
    return "–" if value is None else format_decimal(value, locale=t.language)


def _rate(t: Translator, figures_: Figures) -> str:
    """The fill rate as a percentage, or a dash when nothing was asked."""
    rate = figures_.fill_rate
    return "–" if rate is None else format_percent(rate, locale=t.language)


def _short(name: str, width: int = NAME_WIDTH) -> str:
    """A name cut to fit its column."""
    return name if len(name) <= width else name[: width - 1] + "…"


class _Pages:
    """Draws the pages of one report and hands each to `save`."""

    def __init__(self, t: Translator, figure_type: Any, save: Callable[[Any], None], title: str) -> None:
        self.t, self.figure_type, self.title = t, figure_type, title
        self.save = save

    def page(self, heading: str, note: str | None = None) -> Any:
        """A new page with the report's title, the page's heading and a line below it."""
        figure = self.figure_type(figsize=PAGE)
        figure.text(LEFT, 0.955, self.title, fontsize=11, color=GREY)
        figure.text(LEFT, 0.9, heading, fontsize=22, weight="bold")
        if note:
            figure.text(LEFT, 0.86, note, fontsize=12, color=GREY)
        return figure

    def front(self, data: ReportData) -> None:
        """The unit's name, its key figures, and the fill-rate chart of it and the units below (or beside) it."""
        t = self.t
        if not data.units:
            self.save(self.page(t.gettext("Nothing in this period.")))
            return
        first = data.units[0]
        made = format_date(data.made, "d MMMM y", locale=t.language)
        figure = self.page(first.unit.name, t.gettext("Made on {day}").format(day=made))
        left, right, ladder = self.key_figures(first.figures)
        for x, offset, pairs in ((LEFT, 0.2, left), (0.48, 0.25, right)):
            for row, (label, value) in enumerate(pairs):
                figure.text(x, 0.79 - 0.04 * row, label, fontsize=12)
                figure.text(x + offset, 0.79 - 0.04 * row, value, fontsize=12, weight="bold")
        figure.text(LEFT, 0.78 - 0.04 * max(len(left), len(right)), ladder, fontsize=12)
        chart = [(shown.unit.name, shown.figures) for shown in data.units]
        if any(f.fill_rate is not None for _name, f in chart):
            axes = figure.add_axes((0.3, 0.07, 0.6, 0.3))
            draw_fill_rate(
                axes,
                chart,
                title=t.gettext("Fill rate"),
                axis_label=t.gettext("day-parts filled (%)"),
                decimal="," if t.language == "nl" else ".",
                font_size=13,
            )
        self.save(figure)

    def key_figures(self, f: Figures) -> tuple[list[tuple[str, str]], list[tuple[str, str]], str]:
        """The front page's figures: two columns of label and value, and how far the ladder went."""
        t = self.t
        steps = [
            t.gettext("round {number}: {count}").format(number=number, count=_number(t, f.ladder[number]))
            for number in (1, 2, 3, 4)
            if f.ladder.get(number)
        ]
        if f.ladder.get(0):
            steps.append(t.gettext("wijk group: {count}").format(count=_number(t, f.ladder[0])))
        if f.ladder.get(None):
            steps.append(t.gettext("round unknown: {count}").format(count=_number(t, f.ladder[None])))
        ladder = t.gettext("Day-parts filled by the round the helper was asked in: {rounds}").format(
            rounds=", ".join(steps) or "–"
        )
        left = [
            (t.gettext("Requests"), _number(t, f.requests)),
            (t.gettext("Day-parts asked"), _number(t, f.dayparts_asked)),
            (t.gettext("Day-parts filled"), _number(t, f.dayparts_filled)),
            (t.gettext("Fill rate"), _rate(t, f)),
            (t.gettext("Not filled"), _number(t, f.dayparts_unfilled)),
            (t.gettext("Called off"), _number(t, f.dayparts_cancelled)),
            (t.gettext("Requests cancelled"), _number(t, sum(f.cancelled.values()))),
        ]
        right = [
            (t.gettext("Time to first offer"), median_p90(t, f.first_offer)),
            (t.gettext("Time to fill"), median_p90(t, f.fill)),
            (t.gettext("Offers made"), _number(t, f.offers_made)),
            (t.gettext("Offers accepted"), _number(t, f.offers.get("accepted", 0))),
            (t.gettext("Offers declined"), _number(t, f.offers.get("declined", 0))),
            (t.gettext("Offers withdrawn"), _number(t, f.offers.get("withdrawn", 0))),
            (t.gettext("Withdrawn within 24 hours"), _number(t, f.late_withdrawals)),
        ]
        if f.level in (Level.WIJK, Level.PRACTICE):
            right.append((t.gettext("Day-parts given / received"), f"{_number(t, f.given)} / {_number(t, f.received)}"))
        return left, right, ladder

    def table(
        self,
        heading: str,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        note: str | None = None,
        text_columns: int = 1,
    ) -> None:
        """A table over as many pages as it needs; the first column is a name, the others numbers."""
        chunks = [rows[i : i + TABLE_ROWS] for i in range(0, len(rows), TABLE_ROWS)] or [[]]
        for number, chunk in enumerate(chunks):
            figure = self.page(heading if number == 0 else f"{heading} ({number + 1})", note)
            if chunk:
                self.draw_table(figure, 0.82, header, chunk, text_columns=text_columns)
            else:
                figure.text(LEFT, 0.8, self.t.gettext("Nothing in this period."), fontsize=13)
            self.save(figure)

    def draw_table(
        self,
        figure: Any,
        top: float,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        name_width: float = 0.24,
        text_columns: int = 1,
    ) -> float:
        """A table from `top` (figure fraction) down, names left and numbers right; returns where it ends."""
        from matplotlib.table import Table
        from matplotlib.transforms import Bbox

        columns = len(header)
        other = (1 - name_width) / max(1, columns - 1)
        widths = [name_width] + [other] * (columns - 1)
        inches = PAGE[0] * (1 - 2 * LEFT)
        # About 0.085 inch a character of a 9-point bold header: it wraps within its column, at spaces only.
        labels = [
            "\n".join(textwrap.wrap(text, max(6, int(width * inches / 0.085)), break_long_words=False)) or text
            for text, width in zip(header, widths, strict=True)
        ]
        header_height = 0.025 * (1 + max(label.count("\n") for label in labels))
        row_height = 0.034
        height = header_height + row_height * len(rows)
        axes = figure.add_axes((LEFT, top - height, 1 - 2 * LEFT, height))
        axes.axis("off")
        # bbox: the cells, sized in proportion, fill the axes exactly.
        table = Table(axes, bbox=Bbox.from_bounds(0, 0, 1, 1))
        for row, texts in enumerate([labels, *rows]):
            for column, text in enumerate(texts):
                cell = table.add_cell(
                    row,
                    column,
                    width=widths[column],
                    height=header_height if row == 0 else row_height,
                    text=text,
                    loc="left" if column < text_columns else ("center" if row == 0 else "right"),
                    facecolor="#e8f1f8" if row == 0 else "white",
                    edgecolor="#cccccc",
                )
                if row == 0:
                    cell.set_text_props(weight="bold")
        table.auto_set_font_size(False)
        table.set_fontsize(11)
        for column in range(columns):
            table[0, column].get_text().set_fontsize(9)
        axes.add_table(table)
        return top - height

    def units(self, data: ReportData) -> None:
        """Every unit with the main columns."""
        t = self.t
        header = [
            t.gettext("name"),
            t.gettext("requests"),
            t.gettext("day-parts asked"),
            t.gettext("day-parts filled"),
            t.gettext("fill rate (%)"),
            t.gettext("first offer, median (min)"),
            t.gettext("filled, median (min)"),
            t.gettext("requests cancelled"),
            t.gettext("day-parts given"),
            t.gettext("day-parts received"),
        ]
        rows = []
        for shown in data.units:
            f = shown.figures
            balance = f.level in (Level.WIJK, Level.PRACTICE)
            rows.append(
                [
                    _short(shown.unit.name),
                    _number(t, f.requests),
                    _number(t, f.dayparts_asked),
                    _number(t, f.dayparts_filled),
                    _number(t, None if f.fill_rate is None else round(100 * f.fill_rate)),
                    _number(t, None if f.first_offer.median_minutes is None else round(f.first_offer.median_minutes)),
                    _number(t, None if f.fill.median_minutes is None else round(f.fill.median_minutes)),
                    _number(t, sum(f.cancelled.values())),
                    _number(t, f.given) if balance else "",
                    _number(t, f.received) if balance else "",
                ]
            )
        note = None
        if data.own:
            note = t.gettext(
                "Your practice beside its wijk and region; a wijk of fewer than three practices is left out."
            )
        self.table(t.gettext("The figures per unit"), header, rows, note)

    def lending(self, data: ReportData) -> None:
        """Who helps whom: a matrix of the day-parts lent (all roles together), then the largest pairs per role."""
        t = self.t
        pool = t.gettext(NO_PRACTICE)
        between = t.gettext("between wijken") if data.matrix_level is Level.WIJK else t.gettext("between practices")
        note = t.gettext("Day-parts lent {between}, all roles: each row helped the columns.").format(between=between)
        figure = self.page(t.gettext("Who helps whom"), note)
        if not data.pairs:
            figure.text(LEFT, 0.8, t.gettext("Nobody lent a day-part in this period."), fontsize=13)
            self.save(figure)
            return
        totals: dict[tuple[str, str], int] = defaultdict(int)
        helped_total: dict[str, int] = defaultdict(int)
        helper_total: dict[str, int] = defaultdict(int)
        for pair in data.pairs:
            helper = pair.helper or pool
            totals[helper, pair.helped] += pair.dayparts
            helper_total[helper] += pair.dayparts
            helped_total[pair.helped] += pair.dayparts
        # The busiest units; the list per role names them all.
        helpers = sorted(helper_total, key=lambda name: (-helper_total[name], name))[:MATRIX_UNITS]
        helped = sorted(helped_total, key=lambda name: (-helped_total[name], name))[:MATRIX_UNITS]
        header = [t.gettext("helping"), *(_short(name, 18) for name in helped)]
        rows = [
            [_short(helper), *(_number(t, totals[helper, other]) if totals[helper, other] else "" for other in helped)]
            for helper in helpers
        ]
        self.draw_table(figure, 0.82, header, rows)
        self.save(figure)
        listed = [
            [_short(pair.helper or pool), _short(pair.helped), role_label(t, pair.role), _number(t, pair.dayparts)]
            for pair in data.pairs[:PAIR_ROWS]
        ]
        header = [t.gettext("helping"), t.gettext("helped"), t.gettext("role"), t.gettext("day-parts")]
        more = None
        if len(data.pairs) > PAIR_ROWS:
            more = t.gettext(
                "The {shown} largest of {count}; the command line's report --format lending lists them all."
            ).format(shown=PAIR_ROWS, count=len(data.pairs))
        self.table(t.gettext("Who helps whom, per role"), header, listed, more, text_columns=3)

    def own_lending(self, data: ReportData) -> None:
        """The practice's own row of who helps whom: lent to which practices, received from which, per role."""
        t = self.t
        pool = t.gettext(NO_PRACTICE)
        note = t.gettext("Day-parts your people filled elsewhere, and those others filled for you.")
        figure = self.page(t.gettext("Who helps whom: your practice"), note)
        top = 0.8
        for given, heading in ((True, t.gettext("Lent to")), (False, t.gettext("Received from"))):
            figure.text(LEFT, top, heading, fontsize=15, weight="bold")
            found = [row for row in data.own_pairs if row.given is given]
            rows = [
                [_short(row.other_name or pool), role_label(t, row.role), _number(t, row.dayparts)]
                for row in found[:OWN_ROWS]
            ]
            if rows:
                header = [t.gettext("practice"), t.gettext("role"), t.gettext("day-parts")]
                top = self.draw_table(figure, top - 0.02, header, rows, name_width=0.45, text_columns=2) - 0.07
                if len(found) > OWN_ROWS:
                    more = sum(row.dayparts for row in found[OWN_ROWS:])
                    figure.text(LEFT, top + 0.035, t.gettext("Others: {count}").format(count=more), fontsize=11)
            else:
                figure.text(LEFT, top - 0.05, t.gettext("No day-parts."), fontsize=13)
                top -= 0.12
        self.save(figure)

    def meetings(self, data: ReportData) -> None:
        """The meetings held in the period, for the region and the wijken the report covers."""
        t = self.t
        header = [
            t.gettext("name"),
            t.gettext("meeting dates held"),
            t.gettext("invited to them"),
            t.gettext("answered yes"),
            t.gettext("answered no"),
            t.gettext("answered maybe"),
            t.gettext("no answer"),
            t.gettext("action points open"),
            t.gettext("action points overdue"),
        ]
        rows = [
            [
                _short(unit.name),
                _number(t, found.held),
                _number(t, found.invited),
                _number(t, found.answers.get("y", 0)),
                _number(t, found.answers.get("n", 0)),
                _number(t, found.answers.get("m", 0)),
                _number(t, found.answers.get("none", 0)),
                _number(t, found.open_points),
                _number(t, found.overdue_points),
            ]
            for unit, found in data.meetings
        ]
        self.table(t.gettext("Meetings"), header, rows)
