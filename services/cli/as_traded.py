"""The one-time re-fetch of as-traded history, for warehouses loaded while raw still stored
Polygon's split-adjusted bars: which tickers need it, and what it costs in API requests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import asyncpg

from shared.fetch_plan import PER_TICKER_ACTIONS_MAX, FetchPlan, plan_fetch
from shared.market_calendar import nyse_sessions
from shared.messages import Plan

# Tickers whose split-adjusted bars reach outside their as-traded ones, with that span.
ADJUSTED_ONLY_SPANS = """
with adjusted as (
    select ticker, min(trading_date) as first_date, max(trading_date) as last_date
    from raw.stock_bars_daily where adjusted group by ticker
), traded as (
    select ticker, min(trading_date) as first_date, max(trading_date) as last_date
    from raw.stock_bars_daily where not adjusted group by ticker
)
select a.ticker, a.first_date, a.last_date
from adjusted a left join traded t using (ticker)
where t.ticker is null or t.first_date > a.first_date or t.last_date < a.last_date
order by a.ticker
"""


@dataclass(frozen=True)
class Refetch:
    tickers: list[str]
    start: date
    end: date
    plan: FetchPlan

    @property
    def action_requests(self) -> str:
        if len(self.tickers) <= PER_TICKER_ACTIONS_MAX:
            return f"{2 * len(self.tickers)} splits and dividends requests"
        return f"the market's splits and dividends pages from {self.start}"

    def describe(self) -> str:
        return (
            f"{len(self.tickers)} tickers hold split-adjusted bars only, {self.start}..{self.end}."
            f"\nRe-fetching them as traded takes {self.plan.requests} API requests"
            f" ({self.plan.reason}), plus {self.action_requests}."
        )


async def adjusted_only_spans(
    conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy,
) -> dict[str, tuple[date, date]]:
    rows = await conn.fetch(ADJUSTED_ONLY_SPANS)
    return {r["ticker"]: (r["first_date"], r["last_date"]) for r in rows}


def refetch_plan(spans: dict[str, tuple[date, date]]) -> Refetch | None:
    """One run from the earliest old bar to the latest, by the fewest requests, the way the
    lister will plan it (every named ticker from the run's `from`); None when nothing is left."""
    if not spans:
        return None
    start = min(first for first, _ in spans.values())
    end = max(last for _, last in spans.values())
    tickers = sorted(spans)
    starts = dict.fromkeys(tickers, start)
    plan = plan_fetch(starts, end, nyse_sessions(start, end), Plan.AUTO, whole_market=False)
    return Refetch(tickers, start, end, plan)
