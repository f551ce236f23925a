"""A ticker's chart as PNG bytes (matplotlib's Agg canvas, no pyplot state): the close with its
moving averages above, the volatility in a smaller panel below."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import date

import matplotlib.dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .chart_series import PRICE_LINES, VOLATILITY_LINE, ChartRow, Line, drawn


def draw_png(
    rows: Sequence[ChartRow], title: str, width_px: int = 1200, height_px: int = 700
) -> bytes:
    """The chart of `rows` (oldest first) as a PNG of width_px x height_px."""
    dpi = 100
    fig = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    price, vol = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    dates = [r.trading_date for r in rows]
    _plot(price, dates, rows, drawn(PRICE_LINES, rows), width=1.6)
    _plot(vol, dates, rows, drawn([VOLATILITY_LINE], rows), width=1.4, scale=100.0)
    price.set_title(title)
    price.set_ylabel("price")
    vol.set_ylabel("volatility %")
    for ax in (price, vol):
        ax.grid(True, color="#e6e6e6", linewidth=0.8)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="upper left", fontsize="small", frameon=False)
    # matplotlib.dates has no annotations
    locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]
    formatter = mdates.ConciseDateFormatter(locator)  # type: ignore[no-untyped-call]
    vol.xaxis.set_major_locator(locator)
    vol.xaxis.set_major_formatter(formatter)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=dpi)
    return out.getvalue()


def _plot(
    ax: Axes,
    dates: Sequence[date],
    rows: Sequence[ChartRow],
    lines: Sequence[Line],
    width: float,
    scale: float = 1.0,
) -> None:
    for i, line in enumerate(lines):
        # NaN, not None: matplotlib leaves a gap there instead of refusing the series
        ys = [math.nan if v is None else v * scale for v in line.values(rows)]
        ax.plot(
            dates,  # type: ignore[arg-type]  # dates are plotted through matplotlib's converter
            ys,
            color=line.colour,
            label=line.label,
            linewidth=width,
            zorder=3 + len(lines) - i,
        )
