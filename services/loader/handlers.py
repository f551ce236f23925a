"""The loader's subscriber: MinIO's object-created event in, parsed (or dead-lettered), handed to
the Loader; an object that cannot be loaded is dead-lettered at once."""

from __future__ import annotations

from faststream.kafka import KafkaBroker, KafkaRouter

from shared.clients.consumer import (
    DEFAULT_RETRY,
    Delivery,
    Permanent,
    RetryPolicy,
    Subscription,
    consumer_router,
)
from shared.clients.storage import ObjectNotFound
from shared.messages import ObjectCreated, topics

from .core import MalformedObject
from .service import Loader

RAW_OBJECT_EVENTS = Subscription(
    topics.RAW_OBJECT_EVENTS,
    group_id="loader",
    model=ObjectCreated,
    title="raw object events",
    description="MinIO's object-created events: load the object",
)


def build_router(
    broker: KafkaBroker, loader: Loader, retry: RetryPolicy = DEFAULT_RETRY
) -> KafkaRouter:
    async def on_object_created(event: ObjectCreated, _: Delivery) -> None:
        try:
            await loader.object_created(event)
        except (MalformedObject, ObjectNotFound) as exc:
            raise Permanent(f"malformed object {event.key}: {exc}") from exc

    return consumer_router(broker, RAW_OBJECT_EVENTS, on_object_created, retry)
