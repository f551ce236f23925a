"""Choosing how a run fetches: the fewest API requests.

A ticker fetched by range costs one request; a trading day fetched by grouped daily costs one
request for the whole market. With per-ticker start dates (incremental runs) the cheapest plan
may mix both: grouped daily from some day d on, and ranges for the tickers that start before d.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import date

from shared.messages import Plan

# Up to this many tickers, one filtered splits or dividends query each costs fewer requests than
# the market's pages of the range (the fetcher's choice, and the CLI's estimate of it).
PER_TICKER_ACTIONS_MAX = 5


@dataclass(frozen=True)
class FetchPlan:
    kind: str  # per_ticker | grouped_daily | mixed | up_to_date
    ranges: list[str]  # tickers fetched one range request each
    days: list[date]  # trading days fetched by grouped daily
    grouped_tickers: list[str]  # tickers the grouped days are for ([] with the whole market)
    reason: str

    @property
    def requests(self) -> int:
        return len(self.ranges) + len(self.days)


def plan_fetch(
    starts: dict[str, date], end: date, sessions: list[date], mode: Plan, whole_market: bool
) -> FetchPlan:
    """`sessions` are the trading days from min(starts) to `end`. A ticker whose start leaves no
    trading day before `end` needs no request at all."""
    first = {t: bisect_left(sessions, s) for t, s in starts.items()}
    needed = sorted(t for t, i in first.items() if i < len(sessions))
    if not needed:
        return FetchPlan("up_to_date", [], [], [], "every ticker is up to date")
    per_ticker = FetchPlan(
        "per_ticker",
        needed,
        [],
        [],
        f"{len(needed)} range requests, no more than grouped daily needs",
    )
    if mode == Plan.PER_TICKER:
        return per_ticker
    # Grouped from session index i costs the days from i on plus a range for each ticker
    # starting earlier; only the tickers' own start indices can be the best i.
    by_start = sorted(first[t] for t in needed)
    costs = {i: (len(sessions) - i) + k for k, i in reversed(list(enumerate(by_start)))}
    best_i = min(costs, key=lambda i: (costs[i], i))
    if mode == Plan.GROUPED_DAILY:
        best_i = by_start[0]
    elif costs[best_i] >= len(needed):
        return per_ticker
    ranges = [t for t in needed if first[t] < best_i]
    days = sessions[best_i:]
    grouped = [] if whole_market else [t for t in needed if first[t] >= best_i]
    kind = "mixed" if ranges else "grouped_daily"
    return FetchPlan(
        kind,
        ranges,
        days,
        grouped,
        f"{len(days)} grouped-daily + {len(ranges)} range requests instead of "
        f"{len(needed)} range requests",
    )
