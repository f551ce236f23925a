"""The transformer's subscriber: batch-loaded events in, run events (and dbt) out."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.kafka.annotations import KafkaMessage

from shared.clients.broker import DEFAULT_RETRY, Permanent, RetryPolicy, consume
from shared.messages import BatchLoaded, topics

from .service import Transformer


@dataclass(frozen=True)
class TransformerDeps:
    broker: KafkaBroker
    transformer: Transformer


def build_router(deps: TransformerDeps, retry: RetryPolicy = DEFAULT_RETRY) -> KafkaRouter:
    router = KafkaRouter()

    @router.subscriber(
        topics.BATCH_LOADED,
        group_id="transformer",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
        max_poll_interval_ms=60 * 60 * 1000,
        title="batch loaded",
        description="Count the batch; build with dbt when the run is complete",
    )
    async def on_batch_loaded(message: KafkaMessage) -> None:
        await consume(deps.broker, message, BatchLoaded, partial(_batch_loaded, deps), retry)

    return router


async def _batch_loaded(deps: TransformerDeps, event: BatchLoaded) -> None:
    if not await deps.transformer.knows(event.run_id):
        raise Permanent(f"unknown run {event.run_id!r}")
    await deps.transformer.batch_loaded(event)
