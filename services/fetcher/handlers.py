"""The fetcher's subscriber: a ticker batch in, one raw object in MinIO out."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import asyncpg
import structlog
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.kafka.annotations import KafkaMessage

from shared.clients.broker import parse_or_dead_letter
from shared.clients.polygon import DailyBar, PolygonClient, PolygonError
from shared.clients.storage import ObjectStore
from shared.logging import bind_message_context
from shared.messages import FetchBatch, topics
from shared.messages.raw_objects import encode_object, object_key

from .core import header, outcome

log = structlog.get_logger()


@dataclass(frozen=True)
class FetcherDeps:
    broker: KafkaBroker
    api: PolygonClient
    store: ObjectStore
    pool: asyncpg.Pool
    raw_prefix: str
    concurrency: int


async def fetch_batch(deps: FetcherDeps, batch: FetchBatch) -> None:
    started = time.monotonic()
    gate = asyncio.Semaphore(deps.concurrency)
    requests = 0

    async def one(ticker: str) -> list[DailyBar] | PolygonError:
        nonlocal requests
        async with gate:
            before = deps.api.requests_made
            try:
                return await deps.api.daily_bars(ticker, batch.from_, batch.to,
                                                 adjusted=batch.adjusted)
            except PolygonError as exc:  # permanent, or gave up after retries: recorded
                log.warning("ticker_failed", ticker=ticker, kind=exc.kind)
                return exc
            finally:
                requests += deps.api.requests_made - before

    results = await asyncio.gather(*(one(t) for t in batch.tickers))
    lines = [outcome(t, r) for t, r in zip(batch.tickers, results, strict=True)]
    key = object_key(deps.raw_prefix, batch.run_id, batch.batch_id)
    body = encode_object(header(batch, len(lines), requests), lines)
    await deps.store.put(key, body, "application/x-ndjson")
    await deps.pool.execute(
        "update control.batches set fetched_at = now(), object_key = $3, api_requests = $4"
        " where run_id = $1 and batch_id = $2",
        batch.run_id, batch.batch_id, key, requests,
    )
    log.info("batch_fetched", tickers=len(lines), failed=sum(x.error is not None for x in lines),
             bars=sum(len(x.bars) for x in lines), bytes=len(body), api_requests=requests,
             duration_s=round(time.monotonic() - started, 3))


def build_router(deps: FetcherDeps) -> KafkaRouter:
    router = KafkaRouter()

    @router.subscriber(
        topics.TICKER_BATCHES, group_id="fetcher", ack_policy=AckPolicy.NACK_ON_ERROR, auto_offset_reset="earliest",
        max_poll_interval_ms=30 * 60 * 1000,
        title="ticker batches", description="Fetch a batch's daily bars into one raw object",
    )
    async def on_fetch_batch(message: KafkaMessage) -> None:
        bind_message_context(message_id=message.message_id)
        batch = await parse_or_dead_letter(deps.broker, message, FetchBatch)
        if batch is None:
            return
        bind_message_context(run_id=batch.run_id, batch_id=batch.batch_id,
                             message_id=batch.message_id)
        await fetch_batch(deps, batch)

    return router
