"""The loader's router: MinIO's object-created event in, parsed (or dead-lettered), handed to
the Loader, which publishes that the batch loaded; an object that cannot be loaded is
dead-lettered at once."""

from __future__ import annotations

from faststream.kafka import KafkaBroker, KafkaRouter

from shared.clients import channels
from shared.clients.consumer import DEFAULT_RETRY, Delivery, Permanent, RetryPolicy
from shared.clients.routing import Consumer, Handling, Subscription
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


def declare() -> Consumer[ObjectCreated]:
    """The loader's router, before it is bound to a Loader."""
    return Consumer(RAW_OBJECT_EVENTS, publishes=[channels.BATCH_LOADED])


def handling(loader: Loader, retry: RetryPolicy = DEFAULT_RETRY) -> Handling[ObjectCreated]:
    async def on_object_created(event: ObjectCreated, _: Delivery) -> None:
        try:
            await loader.object_created(event)
        except (MalformedObject, ObjectNotFound) as exc:
            raise Permanent(f"malformed object {event.key}: {exc}") from exc

    return Handling(on_object_created, retry=retry)


def build_router(
    broker: KafkaBroker, loader: Loader, retry: RetryPolicy = DEFAULT_RETRY
) -> KafkaRouter:
    """A router of its own, bound to `loader` (a test's broker includes one)."""
    return declare().bind(broker, handling(loader, retry))
