"""Kafka in the unit tier: a retry policy that does not wait, a recording publisher (`Publisher`),
and a throwaway consumer that records what a topic received on the in-memory broker."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from shared.clients.broker import Publisher
from shared.clients.consumer import RetryPolicy

# Handlers retry transient failures in place; in the unit tier without waiting.
INSTANT_RETRIES = RetryPolicy(attempts=3, first_wait_s=0.0)


@dataclass(frozen=True)
class Published:
    """One publish call: the message as given, its topic, key and headers."""

    message: Any
    topic: str
    key: bytes | None
    headers: dict[str, str] | None


class FakePublisher:
    """`Publisher` that records every publish, in order."""

    def __init__(self) -> None:
        self.published: list[Published] = []

    async def publish(
        self,
        message: Any,
        topic: str = "",
        *,
        key: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.published.append(Published(message, topic, key, headers))

    def on(self, topic: str) -> list[Published]:
        return [p for p in self.published if p.topic == topic]


@dataclass(frozen=True)
class Delivered:
    """One message as a consumer of the topic would see it."""

    body: bytes
    key: bytes | None
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return orjson.loads(self.body)


class TopicRecorder:
    """Subscribes to `topic` on the broker under test (before `TestKafkaBroker` starts) and
    records every message published there, bytes and headers as sent."""

    def __init__(self, broker: KafkaBroker, topic: str) -> None:
        self.messages: list[Delivered] = []

        @broker.subscriber(topic)
        async def record(message: KafkaMessage) -> None:
            raw = message.raw_message
            key = raw.key if not isinstance(raw, tuple) else None
            self.messages.append(Delivered(message.body, key, dict(message.headers)))

    def bodies(self) -> list[Any]:
        return [m.json() for m in self.messages]


# mypy holds the fake to the port here.
_PUBLISHER: type[Publisher] = FakePublisher
