"""The one way a handler consumes: one subscriber per router that parses each message (or
dead-letters it), works on it with bounded retries, and dead-letters what cannot succeed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Generic, TypeVar, cast

import asyncpg
import structlog
from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.kafka.annotations import KafkaMessage as InjectedMessage
from faststream.kafka.message import KafkaMessage
from pydantic import BaseModel, ValidationError

from shared.clients.broker import dead_letter
from shared.logging import bind_message_context

log = structlog.get_logger()
M = TypeVar("M", bound=BaseModel)


async def parse_or_dead_letter(
    broker: KafkaBroker,
    message: KafkaMessage,
    model: type[M],
    on_invalid: Callable[[str], Awaitable[None]] | None = None,
) -> M | None:
    """The message as `model`, or None after dead-lettering it with the validation error (and
    telling `on_invalid` the reason).

    Binds the log context: the Kafka message id first, then the payload's run, batch and
    message ids once it parsed."""
    bind_message_context(message_id=message.message_id)
    try:
        parsed = model.model_validate_json(message.body)
    except ValidationError as exc:
        errors = "; ".join(
            # A validator's own message, without pydantic's "Value error, " before it.
            f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()[:5]
        )
        reason = f"invalid {model.__name__}: {errors}"
        await dead_letter(broker, message, reason)
        if on_invalid is not None:
            try:
                await on_invalid(reason)
            except Exception as failed:  # the message is dead-lettered whatever happens here
                log.warning("invalid_message_not_recorded", error=_reason(failed)[:300])
        return None
    bind_message_context(
        run_id=getattr(parsed, "run_id", None),
        batch_id=getattr(parsed, "batch_id", None),
        message_id=getattr(parsed, "message_id", None) or message.message_id,
    )
    return parsed


class Permanent(Exception):
    """A failure no retry can mend: the message goes to its dead-letter topic at once, with
    this as the reason."""


# Failures that say the input is wrong, not that a server is away: retrying cannot mend them.
_PERMANENT: tuple[type[BaseException], ...] = (
    Permanent,
    ValidationError,
    ValueError,
    TypeError,
    LookupError,
    UnicodeError,
    asyncpg.DataError,
    asyncpg.IntegrityConstraintViolationError,
    asyncpg.CardinalityViolationError,
    asyncpg.ProgramLimitExceededError,
)


@dataclass(frozen=True)
class RetryPolicy:
    """Transient failures (a server restarting, a timeout) are retried in place with doubling
    waits, about two minutes in all by default: well inside every consumer's poll interval,
    and long enough for Postgres, MinIO or Kafka to come back. Then the message is
    dead-lettered, so it can never hold its partition for ever."""

    attempts: int = 10
    first_wait_s: float = 0.5
    max_wait_s: float = 30.0

    def wait_s(self, attempt: int) -> float:
        return float(min(self.max_wait_s, self.first_wait_s * 2 ** (attempt - 1)))


DEFAULT_RETRY = RetryPolicy()


async def consume(
    broker: KafkaBroker,
    message: KafkaMessage,
    model: type[M],
    work: Callable[[M], Awaitable[None]],
    policy: RetryPolicy = RetryPolicy(),
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    on_invalid: Callable[[str], Awaitable[None]] | None = None,
) -> None:
    """Parse the message (or dead-letter it, telling `on_invalid` why), then `work` on it: a
    permanent failure is dead-lettered at once with its reason, a transient one retried by
    `policy`, then dead-lettered. `work` must be idempotent, as every handler is."""
    parsed = await parse_or_dead_letter(broker, message, model, on_invalid)
    if parsed is None:
        return
    for attempt in range(1, policy.attempts + 1):
        try:
            await work(parsed)
            return
        except _PERMANENT as exc:
            await dead_letter(broker, message, _reason(exc))
            return
        except Exception as exc:  # transient until proven otherwise: retried, then given up
            if attempt == policy.attempts:
                await dead_letter(
                    broker, message, f"gave up after {attempt} attempts: " + _reason(exc)
                )
                return
            wait = policy.wait_s(attempt)
            log.warning("message_retrying", attempt=attempt, wait_s=wait, error=_reason(exc)[:300])
            await sleep(wait)


@dataclass(frozen=True)
class Delivery:
    """Where a message sat on its topic (the lister names a run after it), and its Kafka id."""

    partition: int
    offset: int
    timestamp_ms: int
    message_id: str

    @classmethod
    def of(cls, message: KafkaMessage) -> Delivery:
        raw = cast(ConsumerRecord[bytes, bytes], message.raw_message)
        return cls(raw.partition, raw.offset, raw.timestamp, message.message_id)


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


def consumer_router(
    broker: KafkaBroker,
    subscription: Subscription[M],
    work: Callable[[M, Delivery], Awaitable[None]],
    retry: RetryPolicy = DEFAULT_RETRY,
    on_invalid: Callable[[bytes, Delivery, str], Awaitable[None]] | None = None,
) -> KafkaRouter:
    """A router of one subscriber that `consume`s each message with `work(parsed, delivery)`;
    a message that does not parse is dead-lettered, then told to `on_invalid(body, delivery,
    reason)` (the lister records it as a rejected run)."""
    router = KafkaRouter()

    @router.subscriber(
        subscription.topic,
        group_id=subscription.group_id,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
        max_poll_interval_ms=subscription.max_poll_interval_ms,
        title=subscription.title,
        description=subscription.description,
    )
    async def on_message(message: InjectedMessage) -> None:  # FastStream injects it by this type
        delivery = Delivery.of(message)
        bound = partial(_with_delivery, work, delivery)
        invalid = partial(on_invalid, message.body, delivery) if on_invalid else None
        await consume(broker, message, subscription.model, bound, retry, on_invalid=invalid)

    return router


async def _with_delivery(
    work: Callable[[M, Delivery], Awaitable[None]], delivery: Delivery, parsed: M
) -> None:
    await work(parsed, delivery)


def _reason(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, Permanent) else f"{type(exc).__name__}: {exc}"


__all__ = [
    "DEFAULT_RETRY",
    "Delivery",
    "Permanent",
    "RetryPolicy",
    "Subscription",
    "consume",
    "consumer_router",
    "parse_or_dead_letter",
]
