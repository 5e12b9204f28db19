"""`/cijfers` (`/figures`): how the practices help each other, as a short summary with a chart, and buttons for
the CSV (Excel) and the full report (PDF); and the monthly report, which carries that PDF.

Coordinators pick a period, then the region or one wijk. Practice managers and GPs pick a period and get their own
practice beside their wijk and region (a wijk or region of fewer than three practices left out), and their
practice's own row of who helps whom; whatever a button says, they never get more, because the scope in
callback_data is only read for coordinators. The file buttons name their period absolutely (a month, or twelve
months to one), so a button pressed next month still gives the figures its summary showed.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from html import escape
from typing import Final

from babel.dates import format_date
from babel.numbers import format_percent
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import BaseHandler, filters

from bot.i18n import N_, Translator
from bot.permissions import is_coordinator, may_see_figures, practice_to_post_for
from bot.role_names import role_label
from bot.services.figures import Duration, OwnLending, Period, month_period, months_period, own_lending
from bot.services.figures_chart import fill_rate_png
from bot.services.figures_pdf import minutes_text, period_text, render_pdf, report_data, report_pdf
from bot.services.figures_report import (
    EXCEL_STYLES,
    NO_PRACTICE,
    Shown,
    coordinator_view,
    figure_row,
    own_view,
    render_csv,
    report_rows,
)
from bot.services.network import active_wijken
from bot.services.notices import MonthlyReport
from db.models import Member, Wijk
from handlers.callback_data import Action, encode
from handlers.context import BotContext
from handlers.editing import edit_if_changed
from handlers.entry import Press, Said, command, press
from handlers.rendered import Rendered, Renderers, ToMember, for_member

REFUSAL: Final = N_("Figures are for coordinators, practice managers and GPs.")
PERIODS: Final = (("m0", N_("This month")), ("m1", N_("Last month")), ("y", N_("Last 12 months")))
UNPICKED: Final = "x"  # a coordinator's period press before the scope is chosen
REGION: Final = "r"
SUMMARY_UNITS: Final = 4  # the total and a few below it: a summary fits a phone screen, the CSV holds them all
CSV: Final = "csv"
PDF: Final = "pdf"
OWN_LINES: Final = 4  # partners per direction in the summary's own row; the PDF lists more


def period_of(code: str, press: Press[None]) -> Period | None:
    """The period a button names, from today in the region's zone; None for an unknown code."""
    today = press.now.astimezone(press.t.zone).date()
    if code == "m0":
        return month_period(today.year, today.month, press.t.zone)
    if code == "m1":
        last = today.year * 12 + today.month - 2
        return month_period(last // 12, last % 12 + 1, press.t.zone)
    if code == "y":
        return months_period(today.year, today.month, 12, press.t.zone)
    return None


def period_label(t: Translator, period: Period) -> str:
    """`november 2026`, or `december 2025 – november 2026`."""
    return period_text(t.language, period)


def absolute_code(period: Period) -> str:
    """The period as a file button names it: `202611`, or `y202611` for the twelve months to November 2026."""
    month = f"{period.last_day:%Y%m}"
    return month if period.first_day.replace(day=1) == period.last_day.replace(day=1) else "y" + month


def period_stem(period: Period) -> str:
    """`2026-11`, or `2025-12-2026-11`: for a file name."""
    if absolute_code(period).startswith("y"):
        return f"{period.first_day:%Y-%m}-{period.last_day:%Y-%m}"
    return f"{period.first_day:%Y-%m}"


def absolute_period(code: str, press: Press[None]) -> Period | None:
    """The period of a file button; None for a code that is not one."""
    twelve = code.startswith("y")
    digits = code[1:] if twelve else code
    if len(digits) != 6 or not digits.isdigit():
        return None
    year, month = int(digits[:4]), int(digits[4:])
    if not (2000 <= year <= 2200 and 1 <= month <= 12):
        return None
    if twelve:
        return months_period(year, month, 12, press.t.zone)
    return month_period(year, month, press.t.zone)


def duration_text(t: Translator, label: str, duration: Duration) -> str | None:
    """`First offer: median 15 min, p90 30 min`, or None when there is nothing to measure."""
    if duration.median_minutes is None or duration.p90_minutes is None:
        return None
    return t.gettext("{label}: median {median}, p90 {p90}").format(
        label=t.gettext(label),
        median=minutes_text(t, duration.median_minutes),
        p90=minutes_text(t, duration.p90_minutes),
    )


def unit_text(t: Translator, shown: Shown) -> str:
    """A unit's few lines (HTML)."""
    f = shown.figures
    lines = [f"<b>{escape(shown.unit.name)}</b>"]
    if f.empty:
        return "\n".join([*lines, t.gettext("No requests.")])
    rate = "–" if f.fill_rate is None else format_percent(f.fill_rate, locale=t.language)
    requests = t.ngettext("{count} request", "{count} requests", f.requests).format(count=f.requests)
    lines.append(
        t.gettext("{requests}: {filled} of {asked} day-parts filled ({rate}), {open} not filled").format(
            requests=requests, filled=f.dayparts_filled, asked=f.dayparts_asked, rate=rate, open=f.dayparts_unfilled
        )
    )
    for label, duration in ((N_("First offer"), f.first_offer), (N_("Filled"), f.fill)):
        line = duration_text(t, label, duration)
        if line is not None:
            lines.append(line)
    if f.cancelled:
        lines.append(t.gettext("Cancelled: {count}").format(count=sum(f.cancelled.values())))
    if f.given or f.received:
        lines.append(
            t.gettext("Day-parts given {given}, received {received}").format(given=f.given, received=f.received)
        )
    return "\n".join(lines)


def period_buttons(t: Translator, scope: str) -> InlineKeyboardMarkup:
    """One button per period."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(t.gettext(label), callback_data=encode(Action.FIGURES, code, scope))]
            for code, label in PERIODS
        ]
    )


@command("cijfers", "figures", rule=may_see_figures, refusal=REFUSAL)
async def show_figures(said: Said) -> None:
    """Ask for the period (coordinators pick the scope next)."""
    scope = UNPICKED if is_coordinator(said.actor) else REGION
    await said.message.reply_text(said.t.gettext("Figures: which period?"), reply_markup=period_buttons(said.t, scope))


async def scope_buttons(press: Press[None], code: str) -> InlineKeyboardMarkup:
    """The region, then each active wijk of the coordinator's region."""
    wijken = await active_wijken(press.session, press.actor.region_id)
    rows = [
        [InlineKeyboardButton(press.t.gettext("The whole region"), callback_data=encode(Action.FIGURES, code, REGION))]
    ]
    rows += [
        [InlineKeyboardButton(wijk.name, callback_data=encode(Action.FIGURES, code, f"w{wijk.id}"))] for wijk in wijken
    ]
    return InlineKeyboardMarkup(rows)


async def coordinator_wijk(press: Press[None], scope: str) -> int | None:
    """The wijk a coordinator's scope names; None for the region (shown_for has checked the scope)."""
    return int(scope[1:]) if scope.startswith("w") and scope[1:].isdigit() else None


async def shown_for(press: Press[None], member: Member, period: Period, scope: str) -> list[Shown] | None:
    """What this reader may see for the scope; None for a scope that is not theirs (a stale or forged button)."""
    if not is_coordinator(member):
        practice = practice_to_post_for(member)
        return None if practice is None else await own_view(press.session, practice=practice, period=period)
    wijk_id = None
    if scope != REGION:
        wijk_id = await coordinator_wijk(press, scope)
        found = await press.session.get(Wijk, wijk_id) if wijk_id is not None else None
        if found is None or found.region_id != member.region_id:
            return None
    top, parts = await coordinator_view(press.session, region_id=member.region_id, period=period, wijk_id=wijk_id)
    return top + parts


@press(Action.FIGURES, rule=may_see_figures, refusal=REFUSAL)
async def figures_button(press: Press[None]) -> None:
    """A period (and for coordinators a scope) chosen: the summary, and the CSV as a document."""
    t, member = press.t, press.actor
    code = press.data.args[0] if press.data.args else ""
    scope = press.data.args[1] if len(press.data.args) > 1 else ""
    period = period_of(code, press)
    if period is None:
        await press.refuse(N_("This button no longer works."))
        return
    if is_coordinator(member) and scope == UNPICKED:
        await press.query.answer()
        await edit_if_changed(
            press.query, escape(t.gettext("Figures: the region or one wijk?")), await scope_buttons(press, code)
        )
        return
    shown = await shown_for(press, member, period, scope)
    if shown is None:
        await press.refuse(N_("This button no longer works."))
        return
    await press.query.answer()
    label = period_label(t, period)
    title = t.gettext("Figures, {period}").format(period=label)
    text = summary_text(t, title, shown)
    practice = None if is_coordinator(member) else practice_to_post_for(member)
    if practice is not None:
        text += "\n\n" + own_lending_text(t, await own_lending(press.session, practice=practice, period=period))
    await edit_if_changed(press.query, text, file_buttons(t, absolute_code(period), scope))
    chat = press.query.message.chat if press.query.message is not None else None
    if chat is None:
        return
    png = fill_rate_png(
        [(item.unit.name, item.figures) for item in shown],
        title=t.gettext("Fill rate, {period}").format(period=label),
        axis_label=t.gettext("day-parts filled (%)"),
        decimal="," if t.language == "nl" else ".",
    )
    if png is not None:
        stem = "cijfers" if t.language == "nl" else "figures"
        await chat.send_photo(InputFile(png, filename=f"wijkhulp-{stem}-{period.first_day:%Y-%m}.png"))


def file_buttons(t: Translator, code: str, scope: str) -> InlineKeyboardMarkup:
    """The CSV and the full report of what the summary shows."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.gettext("CSV (Excel)"), callback_data=encode(Action.FIGURES_FILE, CSV, code, scope)
                ),
                InlineKeyboardButton(
                    t.gettext("Full report (PDF)"), callback_data=encode(Action.FIGURES_FILE, PDF, code, scope)
                ),
            ]
        ]
    )


def own_lending_text(t: Translator, rows: list[OwnLending]) -> str:
    """The practice's own row of who helps whom (HTML): day-parts lent to which practices, received from which,
    per role; the partners are named (the practice accepted their help, or they accepted its people's)."""
    pool = t.gettext(NO_PRACTICE)
    lines = [f"<b>{escape(t.gettext('Who helps whom: your practice'))}</b>"]
    for given, heading in ((True, N_("Lent to:")), (False, N_("Received from:"))):
        found = [row for row in rows if row.given is given]
        if not found:
            lines.append(f"{escape(t.gettext(heading))} –")
            continue
        lines.append(escape(t.gettext(heading)))
        for row in found[:OWN_LINES]:
            dayparts = t.ngettext("{count} day-part", "{count} day-parts", row.dayparts).format(count=row.dayparts)
            lines.append(f"• {escape(row.other_name or pool)}: {dayparts} {escape(role_label(t, row.role))}")
        if len(found) > OWN_LINES:
            lines.append(t.gettext("• and {count} more in the report").format(count=len(found) - OWN_LINES))
    return "\n".join(lines)


@press(Action.FIGURES_FILE, rule=may_see_figures, refusal=REFUSAL)
async def file_button(press: Press[None]) -> None:
    """The CSV or the full report (PDF) of a summary or a monthly report: checked again as /cijfers checks it,
    so a practice manager's file covers their own practice, wijk and region whatever the button says."""
    t, member = press.t, press.actor
    kind, code, scope = (*press.data.args, "", "", "")[:3]
    period = absolute_period(code, press)
    shown = await shown_for(press, member, period, scope) if period is not None and kind in (CSV, PDF) else None
    chat = press.query.message.chat if press.query.message is not None else None
    if period is None or shown is None or chat is None:
        await press.refuse(N_("This button no longer works."))
        return
    await press.query.answer()
    practice = None if is_coordinator(member) else practice_to_post_for(member)
    wijk_id = None if practice is not None else await coordinator_wijk(press, scope)
    if kind == CSV and practice is not None:
        filename, content = csv_document(t, shown, period)
    # Read in a reading session, and drawn after it: a region's report takes a second, and a writer's transaction
    # would hold SQLite's write lock, and so every other press, for all of it.
    async with press.turn.runtime.database.reader() as reader:
        if kind == CSV and practice is None:
            filename, content = await full_csv(reader, t, member.region_id, period, wijk_id, press.now)
        elif kind == PDF:
            data = await report_data(
                reader, region_id=member.region_id, period=period, wijk_id=wijk_id, now=press.now, practice=practice
            )
    if kind == CSV:
        await chat.send_document(
            InputFile(content, filename=filename), caption=t.gettext("The figures as a table, for Excel.")
        )
        return
    pdf = await asyncio.to_thread(render_pdf, data, t)
    stem = "rapport" if t.language == "nl" else "report"
    await chat.send_document(
        InputFile(pdf, filename=f"wijkhulp-{stem}-{period_stem(period)}.pdf"),
        caption=t.gettext("The full report: the figures, the chart, who helps whom and the meetings."),
    )


def summary_text(t: Translator, title: str, shown: list[Shown]) -> str:
    """The title, the first few units, and how many more the file holds (HTML)."""
    summary = [f"<b>{escape(title)}</b>"]
    summary += [unit_text(t, item) for item in shown[:SUMMARY_UNITS]]
    if len(shown) > SUMMARY_UNITS:
        summary.append(t.gettext("The other {count} are in the file.").format(count=len(shown) - SUMMARY_UNITS))
    return "\n\n".join(summary)


def csv_document(t: Translator, shown: list[Shown], period: Period) -> tuple[str, bytes]:
    """The shown units as a CSV in the reader's Excel style, with its file name."""
    style = EXCEL_STYLES["nl" if t.language == "nl" else "en"]
    content = render_csv([figure_row(item.figures, item.unit, period, t.gettext) for item in shown], t.gettext, style)
    stem = "cijfers" if t.language == "nl" else "figures"
    # utf-8-sig: Excel reads the names' accents right only with the byte-order mark.
    return f"wijkhulp-{stem}-{period_stem(period)}.csv", content.encode("utf-8-sig")


async def full_csv(
    session: AsyncSession, t: Translator, region_id: int, period: Period, wijk_id: int | None, now: datetime
) -> tuple[str, bytes]:
    """A coordinator's CSV: the whole table of the region (or one wijk), as `bot report --format csv` writes it."""
    rows = await report_rows(session, region_id=region_id, period=period, translate=t.gettext, wijk_id=wijk_id, now=now)
    style = EXCEL_STYLES["nl" if t.language == "nl" else "en"]
    stem = "cijfers" if t.language == "nl" else "figures"
    # utf-8-sig: Excel reads the names' accents right only with the byte-order mark.
    return f"wijkhulp-{stem}-{period_stem(period)}.csv", render_csv(rows, t.gettext, style).encode("utf-8-sig")


async def render_monthly(reader: ToMember, notice: MonthlyReport) -> Rendered | None:
    """Last month's report for a coordinator: the region's summary, the full report as a PDF (with its chart),
    and a button for the table as CSV (the same button /cijfers shows, for that month)."""
    t = reader.t
    period = month_period(notice.year, notice.month, t.zone)
    top, _below = await coordinator_view(reader.session, region_id=notice.region_id, period=period, wijk_id=None)
    month = format_date(period.first_day, "MMMM y", locale=t.language)
    title = t.gettext("Monthly report, {month}").format(month=month)
    pdf = await report_pdf(reader.session, region_id=notice.region_id, period=period, wijk_id=None, t=t, now=reader.now)
    stem = "maandrapport" if t.language == "nl" else "monthly-report"
    # A caption holds 1,024 characters: the region's lines only; the wijken and practices are in the report.
    text = summary_text(t, title, top) + "\n\n" + t.gettext("/cijfers shows a wijk or another period.")
    button = InlineKeyboardButton(
        t.gettext("CSV (Excel)"), callback_data=encode(Action.FIGURES_FILE, CSV, absolute_code(period), REGION)
    )
    markup = InlineKeyboardMarkup([[button]])
    return Rendered(text, markup=markup, document=(f"wijkhulp-{stem}-{period.first_day:%Y-%m}.pdf", pdf))


RENDERERS: Renderers = dict([for_member(MonthlyReport, render_monthly)])


def build() -> list[BaseHandler[Update, BotContext, None]]:
    """The handlers of this feature."""
    return [
        show_figures.handler(filters=filters.ChatType.PRIVATE),
        figures_button.handler(),
        file_button.handler(),
    ]
