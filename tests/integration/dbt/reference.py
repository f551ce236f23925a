"""An independent plain-Python recomputation of staging and the market marts from raw rows."""

from __future__ import annotations

import itertools
import math
import statistics
from collections import defaultdict

from tests.integration.dbt.raw_data import RawBar


def bar_id(bar: RawBar) -> str:
    return f"{bar.ticker}|{bar.trading_date.isoformat()}"


def staged_bars(raw: list[RawBar]) -> dict[str, RawBar]:
    """One bar per (ticker, day): the adjusted one when raw has it."""
    chosen: dict[str, RawBar] = {}
    for bar in raw:
        current = chosen.get(bar_id(bar))
        if current is None or (bar.adjusted and not current.adjusted):
            chosen[bar_id(bar)] = bar
    return chosen


def series_by_ticker(raw: list[RawBar]) -> dict[str, list[RawBar]]:
    series: dict[str, list[RawBar]] = defaultdict(list)
    for bar in sorted(staged_bars(raw).values(), key=lambda b: (b.ticker, b.trading_date)):
        series[bar.ticker].append(bar)
    return dict(series)


def returns(closes: list[float]) -> list[tuple[float | None, float | None]]:
    """(simple, log) return from the previous bar; none for the first."""
    out: list[tuple[float | None, float | None]] = [(None, None)]
    for previous, close in itertools.pairwise(closes):
        out.append((close / previous - 1, math.log(close / previous)))
    return out


def sma(closes: list[float], n: int) -> list[float | None]:
    return [None if i + 1 < n else sum(closes[i + 1 - n : i + 1]) / n for i in range(len(closes))]


def ema(closes: list[float], n: int) -> list[float | None]:
    """SMA-seeded: none before bar n, the SMA of the first n closes at bar n, then recursive."""
    alpha = 2 / (n + 1)
    out: list[float | None] = []
    for i, close in enumerate(closes):
        if i + 1 < n:
            out.append(None)
        elif i + 1 == n:
            out.append(sum(closes[:n]) / n)
        else:
            previous = out[-1]
            assert previous is not None
            out.append(alpha * close + (1 - alpha) * previous)
    return out


def volatility(log_returns: list[float | None], n: int = 20, days: int = 252) -> list[float | None]:
    """Sample stddev of the last n log returns times sqrt(days); none until n returns exist."""
    out: list[float | None] = []
    for i in range(len(log_returns)):
        window = [r for r in log_returns[max(0, i + 1 - n) : i + 1] if r is not None]
        out.append(statistics.stdev(window) * math.sqrt(days) if len(window) == n else None)
    return out


def market_marts(raw: list[RawBar]) -> dict[str, dict[str, dict[str, float | None]]]:
    """Per mart, per bar_id, the computed columns."""
    marts: dict[str, dict[str, dict[str, float | None]]] = defaultdict(dict)
    for bars in series_by_ticker(raw).values():
        closes = [b.close for b in bars]
        rets = returns(closes)
        columns = zip(
            bars,
            rets,
            sma(closes, 20),
            sma(closes, 50),
            sma(closes, 200),
            ema(closes, 12),
            ema(closes, 26),
            volatility([r[1] for r in rets]),
            strict=True,
        )
        for bar, (simple, log), s20, s50, s200, e12, e26, vol in columns:
            key = bar_id(bar)
            marts["fct_daily_returns"][key] = {"simple_return": simple, "log_return": log}
            marts["fct_moving_averages"][key] = {
                "sma_20": s20,
                "sma_50": s50,
                "sma_200": s200,
                "ema_12": e12,
                "ema_26": e26,
            }
            marts["fct_rolling_volatility"][key] = {"annualized_volatility_20d": vol}
    return dict(marts)
