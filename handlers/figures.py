"""`/cijfers` (`/figures`): how the practices help each other, as a short summary and a CSV for Excel.

Coordinators pick a period, then the region or one wijk. Practice managers and GPs pick a period and get their own
practice beside their wijk and region (a wijk or region of fewer than three practices left out); whatever a button
says, they never get more, because the scope in callback_data is only read for coordinators.
"""

from __future__ import annotations

from html import escape
from typing import Final

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import BaseHandler, filters

from bot.i18n import N_, Translator
from bot.permissions import is_coordinator, may_see_figures, practice_to_post_for
from bot.services.figures import Duration, Period, month_period, months_period
from bot.services.figures_chart import fill_rate_png
from bot.services.figures_report import (
    EXCEL_STYLES,
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


def period_label(t: Translator, code: str, period: Period) -> str:
    """`november 2026`, or `december 2025 – november 2026`."""
    last = format_date(period.last_day, "MMMM y", locale=t.language)
    if code != "y":
        return last
    return f"{format_date(period.first_day, 'MMMM y', locale=t.language)} – {last}"


def minutes_text(t: Translator, minutes: float) -> str:
    """A duration readable at a glance: minutes up to two hours, then hours."""
    if minutes < 120:
        return t.gettext("{minutes} min").format(minutes=round(minutes))
    return t.gettext("{hours} h").format(hours=format_decimal(round(minutes / 60, 1), locale=t.language))


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


async def shown_for(press: Press[None], member: Member, period: Period, scope: str) -> list[Shown] | None:
    """What this reader may see for the scope; None for a scope that is not theirs (a stale or forged button)."""
    if not is_coordinator(member):
        practice = practice_to_post_for(member)
        return None if practice is None else await own_view(press.session, practice=practice, period=period)
    wijk_id = None
    if scope != REGION:
        wijk_id = int(scope[1:]) if scope.startswith("w") and scope[1:].isdigit() else None
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
    label = period_label(t, code, period)
    title = t.gettext("Figures, {period}").format(period=label)
    await edit_if_changed(press.query, summary_text(t, title, shown))
    filename, content = csv_document(t, shown, period)
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
        await chat.send_photo(InputFile(png, filename=filename.replace(".csv", ".png")))
    await chat.send_document(
        InputFile(content, filename=filename), caption=t.gettext("The figures as a table, for Excel.")
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
    return f"wijkhulp-{stem}-{period.first_day:%Y-%m}.csv", content.encode("utf-8-sig")


async def render_monthly(reader: ToMember, notice: MonthlyReport) -> Rendered | None:
    """Last month's report for a coordinator: the region and its wijken, and the full table as a CSV."""
    t = reader.t
    period = month_period(notice.year, notice.month, t.zone)
    top, _below = await coordinator_view(reader.session, region_id=notice.region_id, period=period, wijk_id=None)
    month = format_date(period.first_day, "MMMM y", locale=t.language)
    title = t.gettext("Monthly report, {month}").format(month=month)
    # A caption holds 1,024 characters: the region's lines only; the wijken and practices are in the file.
    rows = await report_rows(
        reader.session, region_id=notice.region_id, period=period, translate=t.gettext, now=reader.now
    )
    style = EXCEL_STYLES["nl" if t.language == "nl" else "en"]
    stem = "maandrapport" if t.language == "nl" else "monthly-report"
    content = render_csv(rows, t.gettext, style).encode("utf-8-sig")
    text = summary_text(t, title, top) + "\n\n" + t.gettext("/cijfers shows a wijk or another period.")
    return Rendered(text, document=(f"wijkhulp-{stem}-{period.first_day:%Y-%m}.csv", content))


RENDERERS: Renderers = dict([for_member(MonthlyReport, render_monthly)])


def build() -> list[BaseHandler[Update, BotContext, None]]:
    """The handlers of this feature."""
    return [
        show_figures.handler(filters=filters.ChatType.PRIVATE),
        figures_button.handler(),
    ]
