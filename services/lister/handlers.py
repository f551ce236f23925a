"""The lister's subscriber: a run request in, parsed (or dead-lettered) and named after where it
sat on Kafka, then handed to the Lister; a request no run can come of is dead-lettered."""

from __future__ import annotations

from functools import partial

from faststream.kafka import KafkaBroker, KafkaRouter

from shared.clients.broker import (
    DEFAULT_RETRY,
    Delivery,
    Permanent,
    RetryPolicy,
    Subscription,
    consumer_router,
)
from shared.logging import bind_message_context
from shared.messages import RunRequest, topics

from .core import InvalidRequest, KafkaCoordinates, resolve_run
from .service import Lister

RUN_REQUESTS = Subscription(
    topics.RUN_REQUESTS,
    group_id="lister",
    model=RunRequest,
    title="run requests",
    description="Start a run: list tickers, register, publish batches",
)


def build_router(
    broker: KafkaBroker, lister: Lister, retry: RetryPolicy = DEFAULT_RETRY
) -> KafkaRouter:
    return consumer_router(broker, RUN_REQUESTS, partial(_run_request, lister), retry)


async def _run_request(lister: Lister, request: RunRequest, at: Delivery) -> None:
    try:
        spec = resolve_run(request, KafkaCoordinates(at.partition, at.offset, at.timestamp_ms))
    except InvalidRequest as exc:
        raise Permanent(f"invalid RunRequest: {exc}") from exc
    bind_message_context(run_id=spec.run_id, message_id=at.message_id)
    await lister.start(spec)
