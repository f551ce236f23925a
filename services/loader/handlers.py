"""The loader's subscriber: MinIO's object-created event in, rows and a batch-loaded event out."""

from __future__ import annotations

from functools import partial

import structlog
from faststream import AckPolicy
from faststream.kafka import KafkaRouter
from faststream.kafka.annotations import KafkaMessage

from shared.clients.broker import DEFAULT_RETRY, Permanent, RetryPolicy, consume
from shared.clients.storage import ObjectNotFound
from shared.messages import ObjectCreated, topics

from .core import MalformedObject
from .service import LoaderDeps, load_object

__all__ = ["LoaderDeps", "build_router"]
log = structlog.get_logger()


def build_router(deps: LoaderDeps, retry: RetryPolicy = DEFAULT_RETRY) -> KafkaRouter:
    router = KafkaRouter()

    @router.subscriber(
        topics.RAW_OBJECT_EVENTS,
        group_id="loader",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
        title="raw object events",
        description="MinIO's object-created events: load the object",
    )
    async def on_object_created(message: KafkaMessage) -> None:
        await consume(deps.broker, message, ObjectCreated, partial(_object_created, deps), retry)

    return router


async def _object_created(deps: LoaderDeps, event: ObjectCreated) -> None:
    if (
        not event.is_created
        or event.bucket != deps.bucket
        or not event.key.startswith(deps.raw_prefix)
    ):
        log.info("object_event_ignored", bucket=event.bucket, key=event.key)
        return
    try:
        loaded = await load_object(deps, event.key)
    except (MalformedObject, ObjectNotFound) as exc:
        raise Permanent(f"malformed object {event.key}: {exc}") from exc
    await deps.broker.publish(
        loaded, topic=topics.BATCH_LOADED, key=f"{loaded.run_id}/{loaded.batch_id}".encode()
    )
