"""Hand-made raw rows for the dbt tests: three tickers, a gap, a re-pulled split and both bases."""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import astuple, dataclass, fields
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")
FIRST_DAY = dt.date(2023, 1, 2)
# AAA has no bars on these five trading days: its returns and windows must span the gap
AAA_GAP = {dt.date(2023, 3, 6) + dt.timedelta(days=i) for i in range(5)}
# BRK.A has an adjusted and an unadjusted bar on this day (a 1:2 split before it)
BRK_BOTH_BASES_DAY = dt.date(2023, 1, 10)
# KIMpL's first three bars exist only unadjusted
KIMPL_UNADJUSTED_DAYS = 3


@dataclass(frozen=True)
class RawBar:
    ticker: str
    trading_date: dt.date
    adjusted: bool
    open: float
    high: float
    low: float
    close: float
    volume: float
    vwap: float | None
    transactions: int | None
    otc: bool
    bar_ts_ms: int
    source: str
    run_id: str
    object_key: str

    @classmethod
    def columns(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def values(self) -> tuple[object, ...]:
        return astuple(self)


def trading_days(first: dt.date, count: int) -> list[dt.date]:
    """`count` weekdays from `first` (holidays do not matter to the models)."""
    days: list[dt.date] = []
    day = first
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _bar(ticker: str, day: dt.date, close: float, previous: float, adjusted: bool) -> RawBar:
    source = "aggs_range" if day.day % 2 else "grouped_daily"
    hour = 0 if source == "aggs_range" else 16
    start = dt.datetime.combine(day, dt.time(hour), NEW_YORK)
    return RawBar(
        ticker=ticker,
        trading_date=day,
        adjusted=adjusted,
        open=previous,
        high=max(previous, close) * 1.01,
        low=min(previous, close) * 0.99,
        close=close,
        volume=1000.5 + day.toordinal() % 97,
        vwap=(previous + close) / 2,
        transactions=None if day.day == 13 else 100 + day.day,
        otc=False,
        bar_ts_ms=int(start.timestamp() * 1000),
        source=source,
        run_id="run-dbt-test",
        object_key=f"raw/polygon/run-dbt-test/{ticker}.json",
    )


def _series(ticker: str, days: list[dt.date], seed: int, start: float) -> list[RawBar]:
    rng = random.Random(seed)
    bars: list[RawBar] = []
    close = start
    for day in days:
        previous, close = close, close * math.exp(rng.gauss(0.0005, 0.02))
        bars.append(_bar(ticker, day, close, previous, adjusted=True))
    return bars


def build_raw_bars() -> list[RawBar]:
    """AAA: 235 bars with a gap; BRK.A: 30 bars, one day in both bases; KIMpL: 25 bars."""
    aaa_days = [d for d in trading_days(FIRST_DAY, 240) if d not in AAA_GAP]
    bars = _series("AAA", aaa_days, seed=1, start=100.0)
    brk = _series("BRK.A", trading_days(FIRST_DAY, 30), seed=2, start=500_000.0)
    both = next(b for b in brk if b.trading_date == BRK_BOTH_BASES_DAY)
    unadjusted = _bar("BRK.A", both.trading_date, both.close * 2, both.open * 2, adjusted=False)
    kim = _series("KIMpL", trading_days(FIRST_DAY, 25), seed=3, start=20.0)
    kim = [
        _bar(b.ticker, b.trading_date, b.close, b.open, adjusted=False)
        if i < KIMPL_UNADJUSTED_DAYS
        else b
        for i, b in enumerate(kim)
    ]
    return [*bars, *brk, unadjusted, *kim]


RAW_TICKERS = [
    # ticker, name, market, locale, primary_exchange, type, active
    ("AAA", "Listed Funds Trust AAA", "stocks", "us", "ARCX", "ETF", True),
    ("BRK.A", "Berkshire Hathaway Inc. Class A", "stocks", "us", "XNYS", "CS", True),
    ("KIMpL", "Kimco Realty Corp. Class L Pfd", "stocks", "us", "XNYS", "PFD", True),
]


def bad_bar() -> RawBar:
    """A bar whose low is above its open (and only that): low <= open must fail."""
    return RawBar(
        ticker="BAD",
        trading_date=dt.date(2023, 1, 3),
        adjusted=True,
        open=10.0,
        high=12.0,
        low=11.0,
        close=11.5,
        volume=5.0,
        vwap=None,
        transactions=None,
        otc=False,
        bar_ts_ms=1672722000000,
        source="aggs_range",
        run_id="run-dbt-test",
        object_key="raw/polygon/run-dbt-test/BAD.json",
    )
