"""A ticker's chart as text for the terminal: the close and its averages in braille, a legend,
and the volatility in a smaller panel below. Pure: the command prints what it returns."""

from __future__ import annotations

from collections.abc import Sequence

from .braille import Series, plot
from .chart_series import PRICE_LINES, VOLATILITY_LINE, ChartRow, Line, drawn

_MARGIN = 10  # the y-axis labels' column


def terminal_chart(
    rows: Sequence[ChartRow], title: str, width: int = 100, height: int = 30, colour: bool = True
) -> str:
    """`width` columns by `height` lines (at least 40 x 14): title, legend, price panel,
    volatility panel with its own legend, dates."""
    width, height = max(width, 40), max(height, 14)
    plot_width = width - _MARGIN - 1
    vol_height = max((height - 4) // 4, 2)
    price_height = height - 4 - vol_height
    price_lines, vol_lines = drawn(PRICE_LINES, rows), drawn([VOLATILITY_LINE], rows)
    out = [title.center(width).rstrip(), _legend(price_lines, colour)]
    out += _panel(rows, price_lines, plot_width, price_height, colour, "{:.2f}", 1.0)
    out.append(" " * _MARGIN + "├─ " + _legend([VOLATILITY_LINE], colour))
    out += _panel(rows, vol_lines, plot_width, vol_height, colour, "{:.1f}%", 100.0)
    out.append(_dates(rows, plot_width))
    return "\n".join(out)


def _panel(
    rows: Sequence[ChartRow],
    lines: Sequence[Line],
    width: int,
    height: int,
    colour: bool,
    label: str,
    scale: float,
) -> list[str]:
    # drawn in reverse so the first line (the close) ends on top
    series = [
        Series([None if v is None else v * scale for v in line.values(rows)], line.ansi)
        for line in reversed(lines)
    ]
    canvas, low, high = plot(series, width, height, colour)
    labels = {0: label.format(high), height // 2: label.format((low + high) / 2)}
    labels[height - 1] = label.format(low)
    if not lines:
        labels = {height // 2: "no values"}
    return [f"{labels.get(y, ''):>{_MARGIN}}│{line}" for y, line in enumerate(canvas)]


def _legend(lines: Sequence[Line], colour: bool) -> str:
    marks = [f"\x1b[{line.ansi}m━━\x1b[0m" if colour else "──" for line in lines]
    return "  ".join(f"{mark} {line.label}" for mark, line in zip(marks, lines, strict=True))


def _dates(rows: Sequence[ChartRow], width: int) -> str:
    if not rows:
        return ""
    first, last = rows[0].trading_date.isoformat(), rows[-1].trading_date.isoformat()
    return " " * (_MARGIN + 1) + first + last.rjust(width - len(first))
