"""Which answers are retried, and how long to wait: full-jitter backoff and `Retry-After`."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from ._errors import PolygonError, PolygonIncompleteResponse, PolygonMalformedResponse

# DECISION (issue #client): a malformed 2xx body (invalid JSON, or JSON of the wrong shape) is
# PERMANENT and not retried. The simulator's fault injection can produce one as a transient
# glitch, and the real API has sent garbage rows before; if that turns out to matter, flip this
# flag: the retry loop asks `is_retryable_error`, nothing else decides it.
RETRY_MALFORMED_RESPONSES = False

# 429 and 5xx are transient; 408 (request timeout) is the server's way of saying the same.
_RETRYABLE_STATUS = frozenset({408, 429})


def is_retryable_status(status: int) -> bool:
    """Transient HTTP codes: 408, 429 and every 5xx."""
    return status in _RETRYABLE_STATUS or 500 <= status <= 599


def is_retryable_error(error: PolygonError) -> bool:
    """Whether a typed error raised from a 2xx answer is worth another attempt.

    Incomplete answers (rows counted but absent) are; malformed ones per the decision above.
    """
    if isinstance(error, PolygonIncompleteResponse):
        return True
    return RETRY_MALFORMED_RESPONSES and isinstance(error, PolygonMalformedResponse)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds to wait: delta-seconds or an HTTP date; None if absent or bad."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter (AWS architecture blog): U(0, min(cap, base*2^n))."""

    base_s: float
    cap_s: float
    rng: random.Random

    def delay(self, attempt: int, retry_after_s: float | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (0-based).

        A server's `Retry-After` wins over the jittered value: it is a floor, never shortened.
        """
        ceiling = min(self.cap_s, self.base_s * 2 ** min(attempt, 62))
        jittered = self.rng.uniform(0.0, ceiling)
        if retry_after_s is not None:
            return max(retry_after_s, jittered)
        return jittered


__all__ = [
    "RETRY_MALFORMED_RESPONSES",
    "Backoff",
    "is_retryable_error",
    "is_retryable_status",
    "parse_retry_after",
]
