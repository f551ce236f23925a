"""The transformer's subscriber: a batch-loaded event in, parsed (or dead-lettered), handed to
the Transformer."""

from __future__ import annotations

from faststream.kafka import KafkaBroker, KafkaRouter

from shared.clients.consumer import (
    DEFAULT_RETRY,
    Delivery,
    RetryPolicy,
    Subscription,
    consumer_router,
)
from shared.messages import BatchLoaded, topics

from .service import Transformer

BATCH_LOADED = Subscription(
    topics.BATCH_LOADED,
    group_id="transformer",
    model=BatchLoaded,
    title="batch loaded",
    description="Count the batch; build with dbt when the run is complete",
    # Counting is quick (dbt runs off the poll loop), but a Postgres restart is waited out.
    max_poll_interval_ms=60 * 60 * 1000,
)


def build_router(
    broker: KafkaBroker, transformer: Transformer, retry: RetryPolicy = DEFAULT_RETRY
) -> KafkaRouter:
    async def on_batch_loaded(event: BatchLoaded, _: Delivery) -> None:
        await transformer.batch_loaded(event)

    return consumer_router(broker, BATCH_LOADED, on_batch_loaded, retry)
