"""The fetcher's subscriber: a ticker batch in, one raw object in MinIO out."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import date

import structlog
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.kafka.annotations import KafkaMessage

from shared.clients.broker import parse_or_dead_letter
from shared.clients.polygon import DailyBar, PolygonClient, PolygonError
from shared.clients.storage import ObjectStore
from shared.messages import FetchBatch, topics
from shared.messages.raw_objects import TickerBars, encode_object, object_key

from .core import grouped_outcomes, header, outcome
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
                    ticker, starts.get(ticker, batch.from_), batch.to, adjusted=batch.adjusted
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
            return day, await deps.api.grouped_daily(day, adjusted=batch.adjusted)
        except PolygonError as exc:
            log.warning("grouped_day_failed", day=day.isoformat(), kind=exc.kind)
            return day, exc

    return list(await asyncio.gather(*(one(d) for d in batch.days or [])))


def build_router(deps: FetcherDeps) -> KafkaRouter:
    router = KafkaRouter()

    @router.subscriber(
        topics.TICKER_BATCHES,
        group_id="fetcher",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
        max_poll_interval_ms=30 * 60 * 1000,
        title="ticker batches",
        description="Fetch a batch's daily bars into one raw object",
    )
    async def on_fetch_batch(message: KafkaMessage) -> None:
        batch = await parse_or_dead_letter(deps.broker, message, FetchBatch)
        if batch is None:
            return
        await fetch_batch(deps, batch)

    return router
