"""The fetcher's router: a ticker batch in, parsed (or dead-lettered), handed to the Fetcher.
It publishes nothing to Kafka: MinIO announces the object it stores."""

from __future__ import annotations

from faststream.kafka import KafkaBroker, KafkaRouter

from shared.clients.consumer import DEFAULT_RETRY, Delivery, RetryPolicy
from shared.clients.routing import Consumer, Handling, Subscription
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


def declare() -> Consumer[FetchBatch]:
    """The fetcher's router, before it is bound to a Fetcher."""
    return Consumer(TICKER_BATCHES)


def handling(fetcher: Fetcher, retry: RetryPolicy = DEFAULT_RETRY) -> Handling[FetchBatch]:
    async def on_batch(batch: FetchBatch, _: Delivery) -> None:
        await fetcher.fetch(batch)

    return Handling(on_batch, retry=retry)


def build_router(
    broker: KafkaBroker, fetcher: Fetcher, retry: RetryPolicy = DEFAULT_RETRY
) -> KafkaRouter:
    """A router of its own, bound to `fetcher` (a test's broker includes one)."""
    return declare().bind(broker, handling(fetcher, retry))
