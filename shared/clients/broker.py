"""The Kafka broker every service builds, and the dead-letter path for input it cannot use."""

from __future__ import annotations

from typing import Any, TypeVar, cast

import structlog
from aiokafka import ConsumerRecord
from faststream import BaseMiddleware
from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaMessage
from pydantic import BaseModel, ValidationError

from shared.logging import bind_message_context
from shared.messages.topics import dlq
from shared.settings import KafkaSettings

log = structlog.get_logger()
M = TypeVar("M", bound=BaseModel)

REASON_HEADER = "x-dead-letter-reason"
ORIGIN_HEADER = "x-original-topic"


class FreshLogContext(BaseMiddleware):
    """Drops the previous message's run and batch ids before FastStream logs the next one."""

    async def on_receive(self) -> None:
        bind_message_context()


def make_broker(settings: KafkaSettings, logger: Any) -> KafkaBroker:
    # acks=all and idempotence: a publish that returned is on the log, once.
    return KafkaBroker(
        settings.bootstrap_servers,
        logger=logger,
        acks="all",
        enable_idempotence=True,
        middlewares=[FreshLogContext],
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
    log.warning(
        "message_dead_lettered",
        topic=topic,
        reason=reason[:500],
        partition=raw.partition,
        offset=raw.offset,
    )


async def parse_or_dead_letter(
    broker: KafkaBroker, message: KafkaMessage, model: type[M]
) -> M | None:
    """The message as `model`, or None after dead-lettering it with the validation error.

    Binds the log context: the Kafka message id first, then the payload's run, batch and
    message ids once it parsed."""
    bind_message_context(message_id=message.message_id)
    try:
        parsed = model.model_validate_json(message.body)
    except ValidationError as exc:
        errors = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors()[:5]
        )
        await dead_letter(broker, message, f"invalid {model.__name__}: {errors}")
        return None
    bind_message_context(
        run_id=getattr(parsed, "run_id", None),
        batch_id=getattr(parsed, "batch_id", None),
        message_id=getattr(parsed, "message_id", None) or message.message_id,
    )
    return parsed


__all__ = ["dead_letter", "make_broker", "parse_or_dead_letter"]
