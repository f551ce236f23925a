"""An independent plain-Python recomputation of staging, the adjustment and the marts from raw."""

from __future__ import annotations

import itertools
import math
import statistics
from collections import defaultdict

from tests.integration.dbt.raw_data import Dividend, RawBar, Split


def bar_id(bar: RawBar) -> str:
    return f"{bar.ticker}|{bar.trading_date.isoformat()}"


def staged_bars(raw: list[RawBar]) -> dict[str, RawBar]:
    """One bar per (ticker, day): the as-traded one."""
    return {bar_id(b): b for b in raw if not b.adjusted}


def series_by_ticker(raw: list[RawBar]) -> dict[str, list[RawBar]]:
    series: dict[str, list[RawBar]] = defaultdict(list)
    for bar in sorted(staged_bars(raw).values(), key=lambda b: (b.ticker, b.trading_date)):
        series[bar.ticker].append(bar)
    return dict(series)


def rejected_events(
    raw: list[RawBar], splits: list[Split], dividends: list[Dividend], known: set[str]
) -> dict[tuple[str, str], str]:
    """(kind, id) -> reason, for every stored event dbt keeps out of the factors."""
    series = series_by_ticker(raw)
    rejected: dict[tuple[str, str], str] = {}
    for s in splits:
        if s.ticker not in series and s.ticker not in known:
            rejected[("split", s.id)] = "unknown ticker"
        elif not (s.split_to > 0 and 0 < s.split_from / s.split_to < math.inf):
            rejected[("split", s.id)] = "factor not positive and finite"
    for d in dividends:
        before = [b.close for b in series.get(d.ticker, []) if b.trading_date < d.ex_dividend_date]
        if d.ticker not in series and d.ticker not in known:
            rejected[("dividend", d.id)] = "unknown ticker"
        elif not before:
            rejected[("dividend", d.id)] = "no previous close"
        elif d.cash_amount >= before[-1]:
            rejected[("dividend", d.id)] = "cash amount not below the previous close"
    return rejected


def factors(
    bars: list[RawBar], splits: list[Split], dividends: list[Dividend], rejected: set[str]
) -> list[tuple[float, float]]:
    """(split factor, dividend factor) per bar: products over valid events after its date."""
    ticker = bars[0].ticker
    closes = [(b.trading_date, b.close) for b in bars]
    split_ratios = [
        (s.execution_date, s.split_from / s.split_to)
        for s in splits
        if s.ticker == ticker and s.id not in rejected
    ]
    dividend_ratios = [
        (
            d.ex_dividend_date,
            1 - d.cash_amount / [c for day, c in closes if day < d.ex_dividend_date][-1],
        )
        for d in dividends
        if d.ticker == ticker and d.id not in rejected
    ]
    out = []
    for bar in bars:
        out.append(
            (
                math.prod(r for day, r in split_ratios if day > bar.trading_date),
                math.prod(r for day, r in dividend_ratios if day > bar.trading_date),
            )
        )
    return out


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


Columns = dict[str, float | None]


def market_marts(
    raw: list[RawBar], splits: list[Split], dividends: list[Dividend], known: set[str]
) -> dict[str, dict[str, Columns]]:
    """Per bar mart, per bar_id, the computed columns."""
    rejected = {event_id for _, event_id in rejected_events(raw, splits, dividends, known)}
    marts: dict[str, dict[str, Columns]] = defaultdict(dict)
    for bars in series_by_ticker(raw).values():
        factor_pairs = factors(bars, splits, dividends, rejected)
        adj = [b.close * sf for b, (sf, _) in zip(bars, factor_pairs, strict=True)]
        tr = [b.close * sf * df for b, (sf, df) in zip(bars, factor_pairs, strict=True)]
        rets = returns(adj)
        total = [None] + [c / p - 1 for p, c in itertools.pairwise(tr)]
        columns = zip(
            bars, factor_pairs, adj, tr, rets, total,
            sma(adj, 20), sma(adj, 50), sma(adj, 200), ema(adj, 12), ema(adj, 26),
            volatility([r[1] for r in rets]),
            strict=True,
        )  # fmt: skip
        for bar, (sf, df), a, t, (simple, log), tot, s20, s50, s200, e12, e26, vol in columns:
            key = bar_id(bar)
            marts["fct_adjusted_bars"][key] = {
                "adj_open": bar.open * sf,
                "adj_high": bar.high * sf,
                "adj_low": bar.low * sf,
                "adj_close": a,
                "adj_volume": bar.volume / sf,
                "tr_close": t,
                "split_factor": sf,
                "dividend_factor": df,
            }
            marts["fct_daily_returns"][key] = {
                "simple_return": simple,
                "log_return": log,
                "total_return": tot,
            }
            marts["fct_moving_averages"][key] = {
                "sma_20": s20,
                "sma_50": s50,
                "sma_200": s200,
                "ema_12": e12,
                "ema_26": e26,
            }
            marts["fct_rolling_volatility"][key] = {"annualized_volatility_20d": vol}
    return dict(marts)
