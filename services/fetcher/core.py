"""The fetcher's pure logic: a ticker's outcome as a raw-object line, whole-market days regrouped
per ticker, the object's header, and which corporate-action events a batch keeps."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import orjson

from shared.clients.polygon import DailyBar, PolygonError
from shared.fetch_plan import PER_TICKER_ACTIONS_MAX
from shared.messages import FetchBatch
from shared.messages.raw_objects import (
    GROUPED_DAY_PREFIX,
    ObjectHeader,
    TickerBars,
    TickerError,
    encode_bars_line,
    encode_line,
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


def ticker_line(ticker: str, result: list[DailyBar] | PolygonError) -> bytes:
    """A ticker's outcome as its raw-object line, encoded without an intermediate model."""
    if isinstance(result, PolygonError):
        return encode_line(outcome(ticker, result))
    return encode_bars_line(ticker, orjson.dumps([bar_as_sent(b) for b in result]))


class GroupedLines:
    """Whole-market days regrouped per ticker as they arrive, keeping the batch's tickers (all
    when none are named) and, per ticker, the days from its own start. Each bar is kept encoded
    (about 100 bytes), so a batch holds about the size of its object, bounded by its day count;
    a day's models are dropped once added. A failed day is recorded under a pseudo-ticker
    `*grouped YYYY-MM-DD`, so the run names it. Bars are in the order their days arrived."""

    def __init__(self, batch: FetchBatch) -> None:
        self._only = set(batch.tickers)
        self._starts = batch.starts or {}
        self._bars: dict[str, bytearray] = {}
        self._failed: list[bytes] = []
        self._tickers = 0  # stays right while `lines` frees the bars
        self.bars = 0

    def add(self, day: date, result: list[DailyBar] | PolygonError) -> None:
        if isinstance(result, PolygonError):
            self._failed.append(ticker_line(f"{GROUPED_DAY_PREFIX}{day.isoformat()}", result))
            return
        only, starts, per_ticker = self._only, self._starts, self._bars
        for bar in result:
            if only and bar.ticker not in only:
                continue
            if bar.ticker in starts and bar.trading_date < starts[bar.ticker]:
                continue
            self.bars += 1
            encoded = orjson.dumps(bar_as_sent(bar))
            kept = per_ticker.get(bar.ticker)
            if kept is None:
                per_ticker[bar.ticker] = bytearray(encoded)
                self._tickers += 1
            else:
                kept += b"," + encoded

    @property
    def items(self) -> int:
        return self._tickers + len(self._failed)

    @property
    def failed_days(self) -> int:
        return len(self._failed)

    def lines(self) -> Iterator[bytes]:
        """Tickers in order, then the failed days; each ticker's bars are freed once written."""
        for ticker in sorted(self._bars):
            yield encode_bars_line(ticker, b"[" + self._bars.pop(ticker) + b"]")
        yield from self._failed


def grouped_outcomes(
    batch: FetchBatch, results: list[tuple[date, list[DailyBar] | PolygonError]]
) -> list[TickerBars]:
    """`GroupedLines` of these days, read back as lines."""
    grouped = GroupedLines(batch)
    for day, result in results:
        grouped.add(day, result)
    return [TickerBars.model_validate_json(line) for line in grouped.lines()]


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
