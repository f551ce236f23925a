"""Hand-made raw rows for the dbt tests: as-traded bars of three tickers (a gap, a 2-for-1 split,
a 1-for-10 reverse split), their corporate actions, and the events dbt or the loader rejects."""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import astuple, dataclass, fields, replace
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")
FIRST_DAY = dt.date(2023, 1, 2)
RUN = "run-dbt-test"
# AAA has no bars on these five trading days: its returns and windows must span the gap
AAA_GAP = {dt.date(2023, 3, 6) + dt.timedelta(days=i) for i in range(5)}
# AAA splits 2-for-1 (first traded on the new basis that day) and pays $0.50 later
AAA_SPLIT_DAY = dt.date(2023, 6, 1)
AAA_DIVIDEND_DAY = dt.date(2023, 8, 15)
# BRK.A reverse-splits 1-for-10
BRK_REVERSE_SPLIT_DAY = dt.date(2023, 1, 20)
# an old warehouse's split-adjusted bar: staging ignores it
STALE_ADJUSTED_DAY = dt.date(2023, 1, 10)


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


@dataclass(frozen=True)
class Split:
    id: str
    ticker: str
    execution_date: dt.date
    split_from: float
    split_to: float


@dataclass(frozen=True)
class Dividend:
    id: str
    ticker: str
    ex_dividend_date: dt.date
    cash_amount: float


@dataclass(frozen=True)
class LoaderReject:
    kind: str
    event_id: str
    ticker: str | None
    reason: str


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
        run_id=RUN,
        object_key=f"raw/polygon/{RUN}/{ticker}.json",
    )


def _series(
    ticker: str, days: list[dt.date], seed: int, start: float, split: tuple[dt.date, float] | None
) -> list[RawBar]:
    """As traded: an economic random walk, times `ratio` (split_to / split_from) before `split`."""
    rng = random.Random(seed)
    bars: list[RawBar] = []
    close = start
    for day in days:
        scale = split[1] if split is not None and day < split[0] else 1.0
        previous, close = close, close * math.exp(rng.gauss(0.0005, 0.02))
        bars.append(_bar(ticker, day, close * scale, previous * scale, adjusted=False))
    return bars


def build_raw_bars() -> list[RawBar]:
    """AAA: 235 bars with a gap and a 2-for-1 split; BRK.A: 30 bars, a 1-for-10 reverse split;
    KIMpL: 25 bars; plus one adjusted = true bar staging must ignore."""
    aaa_days = [d for d in trading_days(FIRST_DAY, 240) if d not in AAA_GAP]
    aaa = _series("AAA", aaa_days, seed=1, start=100.0, split=(AAA_SPLIT_DAY, 2.0))
    brk = _series(
        "BRK.A", trading_days(FIRST_DAY, 30), 2, 50_000.0, split=(BRK_REVERSE_SPLIT_DAY, 0.1)
    )
    kim = _series("KIMpL", trading_days(FIRST_DAY, 25), seed=3, start=20.0, split=None)
    stale = next(b for b in brk if b.trading_date == STALE_ADJUSTED_DAY)
    stale = replace(stale, adjusted=True, close=stale.close * 10, high=stale.high * 10)
    return [*aaa, *brk, *kim, stale]


def build_splits() -> list[Split]:
    """AAA 2-for-1, BRK.A 1-for-10; KIMpL's from 0 (dbt must reject it if it ever got to raw)
    and one for a ticker nobody knows."""
    return [
        Split("E-AAA-SPLIT", "AAA", AAA_SPLIT_DAY, 1.0, 2.0),
        Split("E-BRK-REVERSE", "BRK.A", BRK_REVERSE_SPLIT_DAY, 10.0, 1.0),
        Split("E-KIM-ZERO", "KIMpL", dt.date(2023, 1, 18), 0.0, 2.0),
        Split("E-NOBODY-SPLIT", "NOBODY", dt.date(2023, 2, 1), 1.0, 3.0),
    ]


def build_dividends(raw: list[RawBar]) -> list[Dividend]:
    """AAA pays $0.50; KIMpL's dividend is above its previous close (rejected), and another
    KIMpL one comes before its first bar (no previous close: rejected)."""
    kim = [b for b in raw if b.ticker == "KIMpL" and not b.adjusted]
    return [
        Dividend("E-AAA-DIV", "AAA", AAA_DIVIDEND_DAY, 0.5),
        Dividend("E-KIM-HUGE", "KIMpL", kim[10].trading_date, kim[9].close * 1.5),
        Dividend("E-KIM-EARLY", "KIMpL", FIRST_DAY, 0.1),
    ]


LOADER_REJECTS = [
    LoaderReject("split", "E-LOADER-ZERO", "AAA", "split_from not positive"),
    LoaderReject("dividend", "E-LOADER-NEG", "KIMpL", "cash_amount negative"),
]

# (action_kind, event_id) -> reason of every event dbt rejects
DBT_REJECTED = {
    ("split", "E-KIM-ZERO"): "factor not positive and finite",
    ("split", "E-NOBODY-SPLIT"): "unknown ticker",
    ("dividend", "E-KIM-HUGE"): "cash amount not below the previous close",
    ("dividend", "E-KIM-EARLY"): "no previous close",
}


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
        adjusted=False,
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
        run_id=RUN,
        object_key=f"raw/polygon/{RUN}/BAD.json",
    )
