"""The fetcher's subscriber: parse the ticker batch (or dead-letter it) and hand it over."""

from __future__ import annotations

from functools import partial

from faststream import AckPolicy
from faststream.kafka import KafkaRouter
from faststream.kafka.annotations import KafkaMessage

from shared.clients.broker import DEFAULT_RETRY, RetryPolicy, consume
from shared.messages import FetchBatch, topics

from .service import FetcherDeps, fetch_batch

__all__ = ["FetcherDeps", "build_router"]


def build_router(deps: FetcherDeps, retry: RetryPolicy = DEFAULT_RETRY) -> KafkaRouter:
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
        await consume(deps.broker, message, FetchBatch, partial(fetch_batch, deps), retry)

    return router
