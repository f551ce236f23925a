"""The fetcher's pure logic: a ticker's outcome as a raw-object line, the object's header, and
which corporate-action events a batch keeps."""

from __future__ import annotations

from datetime import date
from typing import Any

from shared.clients.polygon import DailyBar, PolygonError
from shared.messages import FetchBatch
from shared.messages.raw_objects import (
    GROUPED_DAY_PREFIX,
    ObjectHeader,
    TickerBars,
    TickerError,
)


def bar_as_sent(bar: DailyBar) -> dict[str, Any]:
    """The bar in the API's own keys; optional ones left out when the API left them out."""
    row: dict[str, Any] = {
        "t": bar.t_ms,
        "o": bar.open,
        "h": bar.high,
        "l": bar.low,
        "c": bar.close,
        "v": bar.volume,
    }
    if bar.vwap is not None:
        row["vw"] = bar.vwap
    if bar.transactions is not None:
        row["n"] = bar.transactions
    if bar.otc:
        row["otc"] = True
    return row


def outcome(ticker: str, result: list[DailyBar] | PolygonError) -> TickerBars:
    if isinstance(result, PolygonError):
        return TickerBars(ticker=ticker, error=TickerError(kind=result.kind, reason=str(result)))
    return TickerBars(ticker=ticker, bars=[bar_as_sent(b) for b in result])


def grouped_outcomes(
    batch: FetchBatch, results: list[tuple[date, list[DailyBar] | PolygonError]]
) -> list[TickerBars]:
    """Whole-market days regrouped per ticker, keeping the batch's tickers (all when none are
    named) and, per ticker, the days from its own start. A failed day is recorded under a
    pseudo-ticker `*grouped YYYY-MM-DD`, so the run names it."""
    only = set(batch.tickers)
    starts = batch.starts or {}
    per_ticker: dict[str, list[DailyBar]] = {}
    failed: list[TickerBars] = []
    for day, result in results:
        if isinstance(result, PolygonError):
            failed.append(outcome(f"{GROUPED_DAY_PREFIX}{day.isoformat()}", result))
            continue
        for bar in result:
            if only and bar.ticker not in only:
                continue
            if bar.ticker in starts and bar.trading_date < starts[bar.ticker]:
                continue
            per_ticker.setdefault(bar.ticker, []).append(bar)
    return [outcome(t, per_ticker[t]) for t in sorted(per_ticker)] + failed


# Up to this many tickers, one filtered query each costs fewer requests than the market's pages.
PER_TICKER_ACTIONS_MAX = 5


def per_ticker_actions(batch: FetchBatch) -> bool:
    return 0 < len(batch.tickers) <= PER_TICKER_ACTIONS_MAX


def kept_events(events: list[dict[str, Any]], tickers: list[str]) -> list[dict[str, Any]]:
    """The market's events of the batch's tickers; every event for a whole-market batch."""
    if not tickers:
        return events
    wanted = set(tickers)
    return [e for e in events if e.get("ticker") in wanted]


def action_header(
    batch: FetchBatch, items: int, api_requests: int, error: TickerError | None
) -> ObjectHeader:
    assert batch.actions is not None
    return ObjectHeader(
        kind=batch.actions,
        run_id=batch.run_id,
        batch_id=batch.batch_id,
        source="reference_splits" if batch.actions == "splits" else "reference_dividends",
        from_=batch.from_,
        to=batch.to,
        items=items,
        api_requests=api_requests,
        tickers=batch.tickers or None,
        error=error,
    )


def header(batch: FetchBatch, items: int, api_requests: int) -> ObjectHeader:
    return ObjectHeader(
        kind="daily_bars",
        run_id=batch.run_id,
        batch_id=batch.batch_id,
        source="grouped_daily" if batch.days is not None else "aggs_range",
        from_=batch.from_,
        to=batch.to,
        items=items,
        api_requests=api_requests,
    )
