"""What the fetcher does for one batch, over its ports (ports.py): check the batch is still
wanted, ask the API, write one raw object (streamed), record it as fetched. It publishes nothing:
MinIO announces the object to the loader."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import date

import structlog

from shared.clients.polygon import DailyBar, PolygonError, outcomes_since
from shared.clients.storage import put_stream
from shared.messages import FetchBatch
from shared.messages.raw_objects import (
    TickerError,
    encode_header,
    encode_line,
    encode_object,
    object_key,
)
from shared.observability import metrics

from .core import (
    GroupedLines,
    action_header,
    header,
    kept_events,
    per_ticker_actions,
    ticker_line,
)
from .lines import Tally, drained
from .ports import FetcherRepository, ObjectStore, PolygonApi

log = structlog.get_logger()


class Fetcher:
    def __init__(
        self,
        api: PolygonApi,
        store: ObjectStore,
        batches: FetcherRepository,
        raw_prefix: str,
        concurrency: int,
    ) -> None:
        self.api, self.store, self.batches = api, store, batches
        self.raw_prefix, self.concurrency = raw_prefix, concurrency

    async def fetch(self, batch: FetchBatch) -> None:
        """A batch the lister listed, of a running run, not fetched yet: its object stored and
        recorded; anything else is skipped without an API request."""
        if not await self.batches.wants(batch.run_id, batch.batch_id):
            log.warning("batch_skipped", reason="not a listed, unfetched batch of a running run")
            return
        batch = await self.batches.with_tickers(batch)
        if batch.actions is not None:
            await _fetch_actions(self, batch)
        else:
            await _fetch_bars(self, batch)


async def _fetch_bars(fetcher: Fetcher, batch: FetchBatch) -> None:
    started = time.monotonic()
    # One batch at a time per client (the subscriber's default), so the difference is exact.
    requests_before = fetcher.api.requests_made
    statuses_before = fetcher.api.requests_by_status
    tally = Tally()
    source = _grouped_lines if batch.days is not None else _range_lines
    lines = tally.counted(source(fetcher, batch, tally))

    def head() -> bytes:  # asked for once every line is written: the counts are final
        requests = fetcher.api.requests_made - requests_before
        return encode_header(header(batch, tally.items, requests))

    key = object_key(fetcher.raw_prefix, batch.run_id, batch.batch_id)
    await put_stream(fetcher.store, key, lines, head, "application/x-ndjson")
    requests = fetcher.api.requests_made - requests_before
    statuses = outcomes_since(statuses_before, fetcher.api.requests_by_status)
    await fetcher.batches.mark_fetched(batch.run_id, batch.batch_id, key, requests, statuses)
    metrics.BATCHES_FETCHED.inc()
    log.info(
        "batch_fetched",
        tickers=tally.items,
        failed=tally.failed,
        bars=tally.bars,
        bytes=tally.size,
        api_requests=requests,
        duration_s=round(time.monotonic() - started, 3),
    )


async def _range_lines(fetcher: Fetcher, batch: FetchBatch, tally: Tally) -> AsyncIterator[bytes]:
    """Each ticker's line as soon as its bars are in, in the order they complete. Workers fetch
    `concurrency` tickers at once and wait while the writer is behind, so memory holds a few
    tickers, never the batch."""
    queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=fetcher.concurrency)
    todo = iter(batch.tickers)
    starts = batch.starts or {}

    async def worker() -> None:
        for ticker in todo:  # shared: each ticker is taken by one worker
            result = await _bars(fetcher, ticker, starts.get(ticker, batch.from_), batch.to)
            tally.add(result)
            await queue.put(ticker_line(ticker, result))

    async for line in drained(queue, [worker() for _ in range(fetcher.concurrency)]):
        yield line


async def _bars(
    fetcher: Fetcher, ticker: str, start: date, end: date
) -> list[DailyBar] | PolygonError:
    try:
        return await fetcher.api.daily_bars(ticker, start, end, adjusted=False)
    except PolygonError as exc:  # permanent, or gave up after retries: recorded
        log.warning("ticker_failed", ticker=ticker, kind=exc.kind)
        return exc


async def _grouped_lines(fetcher: Fetcher, batch: FetchBatch, tally: Tally) -> AsyncIterator[bytes]:
    """Whole-market days, `concurrency` at once, regrouped per ticker as each arrives (kept
    encoded: a grouped batch holds about its object's size, bounded by its day count)."""
    grouped = GroupedLines(batch)
    todo = iter(batch.days or [])

    async def worker() -> None:
        for day in todo:
            try:
                grouped.add(day, await fetcher.api.grouped_daily(day, adjusted=False))
            except PolygonError as exc:
                log.warning("grouped_day_failed", day=day.isoformat(), kind=exc.kind)
                grouped.add(day, exc)

    async with asyncio.TaskGroup() as workers:
        for _ in range(fetcher.concurrency):
            workers.create_task(worker())
    tally.items, tally.bars, tally.failed = grouped.items, grouped.bars, grouped.failed_days
    for line in grouped.lines():
        yield line


async def _fetch_actions(fetcher: Fetcher, batch: FetchBatch) -> None:
    """A corporate-action batch: the events as sent, streamed into the object page by page
    (five years of the simulated market's dividends, 80,378 events, held as dicts: 483 MB peak
    RSS, bench_batch --actions), or why they could not be read."""
    started, requests_before = time.monotonic(), fetcher.api.requests_made
    statuses_before = fetcher.api.requests_by_status
    key = object_key(fetcher.raw_prefix, batch.run_id, batch.batch_id)
    tally = Tally()

    def head() -> bytes:  # asked for once every event is written: the counts are final
        requests = fetcher.api.requests_made - requests_before
        return encode_header(action_header(batch, tally.items, requests, None))

    error = None
    try:
        await put_stream(fetcher.store, key, _event_lines(fetcher, batch, tally), head)
    except PolygonError as exc:  # gave up after retries, or permanent: the run names it
        log.warning("corporate_actions_failed", kind=exc.kind)
        error = TickerError(kind=exc.kind, reason=str(exc))
    requests = fetcher.api.requests_made - requests_before
    if error is not None:
        # put_stream aborted its upload: a partial range must not look complete, so the
        # object holds no event and says why (the kind's watermark stays for the next run)
        tally.items = 0
        body = encode_object(action_header(batch, 0, requests, error), [])
        await fetcher.store.put(key, body, "application/x-ndjson")
    statuses = outcomes_since(statuses_before, fetcher.api.requests_by_status)
    await fetcher.batches.mark_fetched(batch.run_id, batch.batch_id, key, requests, statuses)
    metrics.BATCHES_FETCHED.inc()
    log.info(
        "corporate_actions_fetched",
        actions=batch.actions,
        events=tally.items,
        failed=error is not None,
        api_requests=requests,
        duration_s=round(time.monotonic() - started, 3),
    )


async def _event_lines(fetcher: Fetcher, batch: FetchBatch, tally: Tally) -> AsyncIterator[bytes]:
    """Each kept event's line as its page arrives: one filtered query per ticker for a few
    tickers, else the market's events of the range, keeping the batch's tickers (all of them
    for a whole-market batch)."""
    assert batch.actions is not None
    kind, start, end = batch.actions, batch.from_, batch.to
    queries: list[str | None] = [*batch.tickers] if per_ticker_actions(batch) else [None]
    for ticker in queries:
        async for page in fetcher.api.corporate_actions(kind, start, end, ticker=ticker):
            for event in page if ticker is not None else kept_events(page, batch.tickers):
                tally.items += 1
                yield encode_line(event)
