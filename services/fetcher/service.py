"""What the fetcher does for one batch: ask the API, write one raw object, record it."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

import structlog
from faststream.kafka import KafkaBroker

from shared.clients.polygon import DailyBar, PolygonClient, PolygonError
from shared.clients.storage import ObjectStore
from shared.messages import FetchBatch
from shared.messages.raw_objects import TickerBars, TickerError, encode_object, object_key

from .core import action_header, grouped_outcomes, header, kept_events, outcome, per_ticker_actions
from .repository import BatchRepository

log = structlog.get_logger()


@dataclass(frozen=True)
class FetcherDeps:
    broker: KafkaBroker
    api: PolygonClient
    store: ObjectStore
    batches: BatchRepository
    raw_prefix: str
    concurrency: int


async def fetch_batch(deps: FetcherDeps, batch: FetchBatch) -> None:
    if batch.actions is not None:
        await fetch_actions(deps, batch)
        return
    started = time.monotonic()
    # One batch at a time per client (the subscriber's default), so the difference is exact.
    requests_before = deps.api.requests_made
    if batch.days is not None:
        lines = grouped_outcomes(batch, await _grouped(deps, batch))
    else:
        lines = await _ranges(deps, batch)
    requests = deps.api.requests_made - requests_before
    key = object_key(deps.raw_prefix, batch.run_id, batch.batch_id)
    body = encode_object(header(batch, len(lines), requests), lines)
    await deps.store.put(key, body, "application/x-ndjson")
    await deps.batches.mark_fetched(batch.run_id, batch.batch_id, key, requests)
    log.info(
        "batch_fetched",
        tickers=len(lines),
        failed=sum(x.error is not None for x in lines),
        bars=sum(len(x.bars) for x in lines),
        bytes=len(body),
        api_requests=requests,
        duration_s=round(time.monotonic() - started, 3),
    )


async def _ranges(deps: FetcherDeps, batch: FetchBatch) -> list[TickerBars]:
    gate = asyncio.Semaphore(deps.concurrency)
    starts = batch.starts or {}

    async def one(ticker: str) -> list[DailyBar] | PolygonError:
        async with gate:
            try:
                return await deps.api.daily_bars(
                    ticker, starts.get(ticker, batch.from_), batch.to, adjusted=False
                )
            except PolygonError as exc:  # permanent, or gave up after retries: recorded
                log.warning("ticker_failed", ticker=ticker, kind=exc.kind)
                return exc

    results = await asyncio.gather(*(one(t) for t in batch.tickers))
    return [outcome(t, r) for t, r in zip(batch.tickers, results, strict=True)]


async def _grouped(
    deps: FetcherDeps, batch: FetchBatch
) -> list[tuple[date, list[DailyBar] | PolygonError]]:
    async def one(day: date) -> tuple[date, list[DailyBar] | PolygonError]:
        try:
            return day, await deps.api.grouped_daily(day, adjusted=False)
        except PolygonError as exc:
            log.warning("grouped_day_failed", day=day.isoformat(), kind=exc.kind)
            return day, exc

    return list(await asyncio.gather(*(one(d) for d in batch.days or [])))


async def fetch_actions(deps: FetcherDeps, batch: FetchBatch) -> None:
    """A corporate-action batch: the events as sent, or why they could not be read."""
    started, requests_before = time.monotonic(), deps.api.requests_made
    events: list[dict[str, Any]] = []
    error = None
    try:
        events = await _events(deps, batch)
    except PolygonError as exc:  # gave up after retries, or permanent: the run names it
        log.warning("corporate_actions_failed", kind=exc.kind)
        error = TickerError(kind=exc.kind, reason=str(exc))
    requests = deps.api.requests_made - requests_before
    key = object_key(deps.raw_prefix, batch.run_id, batch.batch_id)
    body = encode_object(action_header(batch, len(events), requests, error), events)
    await deps.store.put(key, body, "application/x-ndjson")
    await deps.batches.mark_fetched(batch.run_id, batch.batch_id, key, requests)
    log.info(
        "corporate_actions_fetched",
        actions=batch.actions,
        events=len(events),
        failed=error is not None,
        api_requests=requests,
        duration_s=round(time.monotonic() - started, 3),
    )


async def _events(deps: FetcherDeps, batch: FetchBatch) -> list[dict[str, Any]]:
    """One filtered query per ticker for a few tickers, else the market's events of the range,
    keeping the batch's tickers (all of them for a whole-market batch)."""
    assert batch.actions is not None
    kind, start, end = batch.actions, batch.from_, batch.to
    if per_ticker_actions(batch):
        return [
            event
            for ticker in batch.tickers
            async for page in deps.api.corporate_actions(kind, start, end, ticker=ticker)
            for event in page
        ]
    events = []
    async for page in deps.api.corporate_actions(kind, start, end):
        events.extend(kept_events(page, batch.tickers))
    return events
