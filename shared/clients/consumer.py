"""The one way a handler consumes: parse each message (or dead-letter it), work on it with
bounded retries, and dead-letter what cannot succeed. shared/clients/routing.py declares the
subscriber that consumes so."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar, cast

import asyncpg
import structlog
from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker
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


def _reason(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, Permanent) else f"{type(exc).__name__}: {exc}"


__all__ = [
    "DEFAULT_RETRY",
    "Delivery",
    "Permanent",
    "RetryPolicy",
    "consume",
    "parse_or_dead_letter",
]
