"""The fetcher's subscriber: a ticker batch in, parsed (or dead-lettered), handed to the
Fetcher."""

from __future__ import annotations

from faststream.kafka import KafkaBroker, KafkaRouter

from shared.clients.consumer import (
    DEFAULT_RETRY,
    Delivery,
    RetryPolicy,
    Subscription,
    consumer_router,
)
from shared.messages import FetchBatch, topics

from .service import Fetcher

TICKER_BATCHES = Subscription(
    topics.TICKER_BATCHES,
    group_id="fetcher",
    model=FetchBatch,
    title="ticker batches",
    description="Fetch a batch's daily bars into one raw object",
    # A whole-market batch of many days can take minutes against a rate-limited API.
    max_poll_interval_ms=30 * 60 * 1000,
)


def build_router(
    broker: KafkaBroker, fetcher: Fetcher, retry: RetryPolicy = DEFAULT_RETRY
) -> KafkaRouter:
    async def on_batch(batch: FetchBatch, _: Delivery) -> None:
        await fetcher.fetch(batch)

    return consumer_router(broker, TICKER_BATCHES, on_batch, retry)
