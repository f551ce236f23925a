"""What a price chart shows: one row per bar from the marts, and the lines drawn from it with
their colours (the PNG and the terminal chart use the same ones)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class ChartRow:
    """One bar of a ticker: the split-adjusted close, its averages and its volatility (a value
    is None until its window is full)."""

    trading_date: date
    close: float | None
    sma_20: float | None
    sma_50: float | None
    sma_200: float | None
    ema_12: float | None
    ema_26: float | None
    volatility_20d: float | None


@dataclass(frozen=True)
class Line:
    field: str  # a ChartRow attribute
    label: str
    colour: str  # #rrggbb in the PNG
    ansi: int  # SGR foreground code in the terminal

    def values(self, rows: Sequence[ChartRow]) -> list[float | None]:
        return [getattr(r, self.field) for r in rows]


# The first line is drawn on top (the close over its averages) and listed first.
PRICE_LINES = (
    Line("close", "close", "#1f77b4", 34),
    Line("sma_20", "SMA 20", "#ff7f0e", 33),
    Line("sma_50", "SMA 50", "#2ca02c", 32),
    Line("sma_200", "SMA 200", "#d62728", 31),
    Line("ema_12", "EMA 12", "#9467bd", 35),
    Line("ema_26", "EMA 26", "#8c564b", 36),
)
VOLATILITY_LINE = Line("volatility_20d", "volatility 20d (annualised)", "#17becf", 96)


def drawn(lines: Sequence[Line], rows: Sequence[ChartRow]) -> list[Line]:
    """The lines with at least one value: a line without any (SMA 200 over a short history)
    is left out of the chart and its legend."""
    return [line for line in lines if any(v is not None for v in line.values(rows))]
