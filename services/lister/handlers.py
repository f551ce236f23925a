"""The lister's router: a run request in, parsed (or dead-lettered) and named after where it
sat on Kafka, then handed to the Lister; a request no run can come of is dead-lettered, and
recorded as a rejected run with its reason, so `stocks-elt status` shows it."""

from __future__ import annotations

from functools import partial

from faststream.kafka import KafkaBroker, KafkaRouter

from shared.clients import channels
from shared.clients.consumer import DEFAULT_RETRY, Delivery, Permanent, RetryPolicy
from shared.clients.routing import Consumer, Handling, Subscription
from shared.logging import bind_message_context
from shared.messages import RunRequest, topics
from shared.messages.run_rules import InvalidRunRequest

from .core import KafkaCoordinates, rejected_request, resolve_run, run_id_for
from .service import Lister

RUN_REQUESTS = Subscription(
    topics.RUN_REQUESTS,
    group_id="lister",
    model=RunRequest,
    title="run requests",
    description="Start a run: list tickers, register, publish batches",
)


def declare() -> Consumer[RunRequest]:
    """The lister's router, before it is bound to a Lister."""
    return Consumer(RUN_REQUESTS, publishes=[channels.TICKER_BATCHES, channels.RUN_EVENTS])


def handling(lister: Lister, retry: RetryPolicy = DEFAULT_RETRY) -> Handling[RunRequest]:
    return Handling(partial(_run_request, lister), partial(_invalid, lister), retry)


def build_router(
    broker: KafkaBroker, lister: Lister, retry: RetryPolicy = DEFAULT_RETRY
) -> KafkaRouter:
    """A router of its own, bound to `lister` (a test's broker includes one)."""
    return declare().bind(broker, handling(lister, retry))


async def _run_request(lister: Lister, request: RunRequest, at: Delivery) -> None:
    coordinates = KafkaCoordinates(at.partition, at.offset, at.timestamp_ms)
    try:
        spec = resolve_run(request, coordinates)
    except InvalidRunRequest as exc:
        run_id = run_id_for(request.run_id, coordinates)
        await lister.reject(run_id, request.model_dump(mode="json", by_alias=True), str(exc))
        raise Permanent(f"invalid RunRequest: {exc}") from exc
    bind_message_context(run_id=spec.run_id, message_id=at.message_id)
    await lister.start(spec)


async def _invalid(lister: Lister, body: bytes, at: Delivery, reason: str) -> None:
    """A request that did not parse: a rejected run, named by its own id when it has one."""
    run_id, request = rejected_request(
        body, KafkaCoordinates(at.partition, at.offset, at.timestamp_ms)
    )
    await lister.reject(run_id, request, reason)
