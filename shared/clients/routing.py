"""Each service's router, declared at import so that `faststream docs gen` documents it: one
subscriber (its topic, group and payload model, consumed through shared/clients/consumer.py),
the topics the service publishes to, and its dead-letter twin."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, Generic, TypeVar

from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.kafka.annotations import KafkaMessage as InjectedMessage
from faststream.kafka.message import KafkaMessage
from pydantic import BaseModel, PlainValidator

from shared.clients.channels import Publication, dead_letters
from shared.clients.consumer import DEFAULT_RETRY, Delivery, RetryPolicy, consume

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Subscription(Generic[M]):
    """One consumer group's subscription: what it reads, as which model, and how it reads in
    the AsyncAPI document. Acked after the work (at least once), from the earliest offset."""

    topic: str
    group_id: str
    model: type[M]
    title: str
    description: str
    # Kafka's own default; a handler that may work longer than this says so.
    max_poll_interval_ms: int = 5 * 60 * 1000


@dataclass(frozen=True)
class Handling(Generic[M]):
    """What a consumer does with each parsed message: `work(parsed, delivery)`, retried by
    `retry`; `on_invalid(body, delivery, reason)` hears of a message that did not parse, once
    it is dead-lettered (the lister records it as a rejected run)."""

    work: Callable[[M, Delivery], Awaitable[None]]
    on_invalid: Callable[[bytes, Delivery, str], Awaitable[None]] | None = None
    retry: RetryPolicy = DEFAULT_RETRY


class Consumer(Generic[M]):
    """A service's router, declared at import so that FastStream's AsyncAPI document shows it:
    one subscriber, whose payload is its subscription's model, the topics the service publishes
    to, and the dead-letter twin. Its `Handling` is bound once the service's resources are open
    (in the lifespan, before the broker starts)."""

    def __init__(self, subscription: Subscription[M], publishes: Sequence[Publication] = ()):
        self.subscription = subscription
        self.router = KafkaRouter()
        self._bound: tuple[KafkaBroker, Handling[M]] | None = None
        self._subscribe()
        for p in (
            *publishes,
            dead_letters(subscription.topic, subscription.title, subscription.model),
        ):
            self.router.publisher(
                p.topic, schema=p.schema, title=p.title, description=p.description
            )

    def bind(self, broker: KafkaBroker, handling: Handling[M]) -> KafkaRouter:
        """Consume with `handling`, dead-lettering through `broker`; returns the router."""
        self._bound = (broker, handling)
        return self.router

    def _subscribe(self) -> None:
        sub = self.subscription

        async def on_message(body: object, message: InjectedMessage) -> None:
            if self._bound is None:  # the lifespan binds before the broker starts
                raise RuntimeError(f"the consumer of {sub.topic} was never bound")
            broker, handling = self._bound
            delivery = Delivery.of(message)
            bound = partial(_with_delivery, handling.work, delivery)
            on_invalid = handling.on_invalid
            invalid = partial(on_invalid, message.body, delivery) if on_invalid else None
            await consume(broker, message, sub.model, bound, handling.retry, on_invalid=invalid)

        # FastStream documents the body parameter's type as the payload; FastStream injects
        # the message by its type.
        on_message.__annotations__["body"] = _declared(sub.model)
        self.router.subscriber(
            sub.topic,
            group_id=sub.group_id,
            ack_policy=AckPolicy.NACK_ON_ERROR,
            auto_offset_reset="earliest",
            max_poll_interval_ms=sub.max_poll_interval_ms,
            title=sub.title,
            description=sub.description,
            decoder=_raw_body,
        )(on_message)


def _declared(model: type[M]) -> Any:
    """`model` as the document's payload, while the body stays the raw bytes at run time:
    `consume` parses them, so a malformed message is dead-lettered with its reason instead of
    failing in FastStream's own validation (which would nack it, and stall its partition)."""
    return Annotated[model, PlainValidator(_as_is, json_schema_input_type=model)]


def _as_is(body: object) -> object:
    return body


async def _raw_body(message: KafkaMessage) -> bytes:
    return message.body


async def _with_delivery(
    work: Callable[[M, Delivery], Awaitable[None]], delivery: Delivery, parsed: M
) -> None:
    await work(parsed, delivery)


__all__ = ["Consumer", "Handling", "Subscription"]
