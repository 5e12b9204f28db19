"""A chart of the fill rate per unit, as a PNG readable on a phone: few bars, large type, labels translated.

matplotlib is imported when a chart is drawn, not with the module, so that the bot still starts (without charts)
where it is missing; the Agg backend draws without a display.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Sequence
from typing import Any

from bot.services.figures import Figures

log = logging.getLogger(__name__)

Translate = Callable[[str], str]
MAX_BARS = 12  # more bars than this is no longer readable on a phone
FONT_SIZE = 18


def fill_rate_png(
    units: Sequence[tuple[str, Figures]], *, title: str, axis_label: str, decimal: str = ","
) -> bytes | None:
    """Horizontal bars of the fill rate (%) per unit, `filled/asked` beside each; None without matplotlib or
    without anything asked."""
    shown = [(name, f) for name, f in units if f.fill_rate is not None][:MAX_BARS]
    if not shown:
        return None
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot
    except ImportError:
        log.warning("charts.unavailable reason=matplotlib-missing")
        return None
    figure, axes = pyplot.subplots(figsize=(9, 2 + 0.8 * len(shown)), dpi=100)
    try:
        draw_fill_rate(axes, shown, title=title, axis_label=axis_label, decimal=decimal, font_size=FONT_SIZE)
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="png")
        return out.getvalue()
    finally:
        pyplot.close(figure)


def draw_fill_rate(
    axes: Any, units: Sequence[tuple[str, Figures]], *, title: str, axis_label: str, decimal: str, font_size: int
) -> None:
    """The bars on a matplotlib Axes (of a PNG, or of a page of the PDF report): units without anything asked
    are skipped, at most MAX_BARS."""
    shown = [(name, f) for name, f in units if f.fill_rate is not None][:MAX_BARS]
    names = [name if len(name) <= 28 else name[:27] + "…" for name, _f in shown][::-1]
    rates = [100 * (f.fill_rate or 0.0) for _name, f in shown][::-1]
    notes = [f"{f.dayparts_filled}/{f.dayparts_asked - f.dayparts_cancelled}" for _name, f in shown][::-1]
    bars = axes.barh(names, rates, color="#2a7ab0")
    axes.set_xlim(0, 135)  # room for the label beside a full bar
    axes.set_xticks([0, 25, 50, 75, 100])
    axes.set_title(title, fontsize=font_size + 2, loc="left")
    axes.set_xlabel(axis_label, fontsize=font_size)
    axes.tick_params(labelsize=font_size)
    for bar, rate, note in zip(bars, rates, notes, strict=True):
        label = f"{rate:.0f}% ({note})".replace(".", decimal)
        axes.text(bar.get_width() + 1, bar.get_y() + bar.get_height() / 2, label, va="center", fontsize=font_size - 2)
    axes.spines[["top", "right"]].set_visible(False)
