"""The transformer's router: a batch-loaded event in, parsed (or dead-lettered), handed to
the Transformer, which publishes run events and alerts, and announces again an object whose
own event was lost."""

from __future__ import annotations

from faststream.kafka import KafkaBroker, KafkaRouter

from shared.clients import channels
from shared.clients.consumer import DEFAULT_RETRY, Delivery, RetryPolicy
from shared.clients.routing import Consumer, Handling, Subscription
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


def declare() -> Consumer[BatchLoaded]:
    """The transformer's router, before it is bound to a Transformer."""
    return Consumer(
        BATCH_LOADED,
        publishes=[channels.RUN_EVENTS, channels.ALERTS, channels.RAW_OBJECT_EVENTS],
    )


def handling(transformer: Transformer, retry: RetryPolicy = DEFAULT_RETRY) -> Handling[BatchLoaded]:
    async def on_batch_loaded(event: BatchLoaded, _: Delivery) -> None:
        await transformer.batch_loaded(event)

    return Handling(on_batch_loaded, retry=retry)


def build_router(
    broker: KafkaBroker, transformer: Transformer, retry: RetryPolicy = DEFAULT_RETRY
) -> KafkaRouter:
    """A router of its own, bound to `transformer` (a test's broker includes one)."""
    return declare().bind(broker, handling(transformer, retry))
