"""The lister's subscriber: run request in, registered run and keyed batches out."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import structlog
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.kafka.annotations import KafkaMessage

from shared.clients.broker import DEFAULT_RETRY, Permanent, RetryPolicy, consume
from shared.logging import bind_message_context
from shared.messages import RunRequest, RunStatus, topics

from .core import InvalidRequest, KafkaCoordinates, resolve_run
from .repository import RunRepository
from .service import Lister

log = structlog.get_logger()


@dataclass(frozen=True)
class ListerDeps:
    broker: KafkaBroker
    repo: RunRepository
    lister: Lister


def build_router(deps: ListerDeps, retry: RetryPolicy = DEFAULT_RETRY) -> KafkaRouter:
    router = KafkaRouter()

    @router.subscriber(
        topics.RUN_REQUESTS,
        group_id="lister",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
        title="run requests",
        description="Start a run: list tickers, register, publish batches",
    )
    async def on_run_request(message: KafkaMessage) -> None:
        raw = message.raw_message
        at = KafkaCoordinates(raw.partition, raw.offset, raw.timestamp)  # type: ignore[union-attr]
        work = partial(_run_request, deps, at, message.message_id)
        await consume(deps.broker, message, RunRequest, work, retry)

    return router


async def _run_request(
    deps: ListerDeps, at: KafkaCoordinates, message_id: str, request: RunRequest
) -> None:
    try:
        spec = resolve_run(request, at)
    except InvalidRequest as exc:
        raise Permanent(f"invalid RunRequest: {exc}") from exc
    bind_message_context(run_id=spec.run_id, message_id=message_id)
    status = await deps.repo.ensure_run(spec)
    if status == RunStatus.LISTING:
        await deps.lister.list_and_publish(spec)
    else:
        await deps.lister.republish(spec)
