"""The Kafka broker every service builds, the publisher port its services publish through, and
the dead-letter path for input a consumer cannot use (shared/clients/consumer.py consumes)."""

from __future__ import annotations

from typing import Any, Protocol, cast

import structlog
from aiokafka import ConsumerRecord
from faststream import BaseMiddleware
from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaMessage

from shared.logging import bind_message_context
from shared.messages.topics import dlq
from shared.observability import metrics
from shared.settings import KafkaSettings

log = structlog.get_logger()

REASON_HEADER = "x-dead-letter-reason"
ORIGIN_HEADER = "x-original-topic"


class Publisher(Protocol):
    """What a service publishes through: the broker, or a fake that records."""

    async def publish(
        self,
        message: Any,
        topic: str = "",
        *,
        key: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any: ...


class FreshLogContext(BaseMiddleware):
    """Drops the previous message's run and batch ids before FastStream logs the next one."""

    async def on_receive(self) -> None:
        bind_message_context()


# The server the AsyncAPI documents name: compose's address, the same whatever this process's
# settings say, so that a document generated anywhere is the committed one.
DOCUMENTED_SERVER = "kafka:9092"


def make_broker(settings: KafkaSettings, logger: Any) -> KafkaBroker:
    # acks=all and idempotence: a publish that returned is on the log, once.
    return KafkaBroker(
        settings.bootstrap_servers,
        logger=logger,
        acks="all",
        enable_idempotence=True,
        middlewares=[FreshLogContext],
        specification_url=DOCUMENTED_SERVER,
        description="The pipeline's Kafka (compose's address; 127.0.0.1:9092 on the native stack)",
    )


async def dead_letter(broker: KafkaBroker, message: KafkaMessage, reason: str) -> None:
    """Send the original bytes to the topic's `.dlq` twin, with the reason in a header."""
    # A single-message subscriber: the raw message is one record, never a batch tuple.
    raw = cast(ConsumerRecord[bytes, bytes], message.raw_message)
    topic = raw.topic
    await broker.publish(
        message.body,
        topic=dlq(topic),
        key=raw.key,
        headers={REASON_HEADER: reason[:2000], ORIGIN_HEADER: topic},
    )
    metrics.DEAD_LETTERS.labels(topic, metrics.dead_letter_reason(reason)).inc()
    log.warning(
        "message_dead_lettered",
        topic=topic,
        reason=reason[:500],
        partition=raw.partition,
        offset=raw.offset,
    )


__all__ = [
    "DOCUMENTED_SERVER",
    "ORIGIN_HEADER",
    "REASON_HEADER",
    "Publisher",
    "dead_letter",
    "make_broker",
]
