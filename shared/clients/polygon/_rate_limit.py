"""The request-rate port and its in-process adapter (GCRA, i.e. a token bucket of `burst`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


class RateLimiter(Protocol):
    """Grants permission for one HTTP request; `acquire` returns when the request may go."""

    async def acquire(self) -> None: ...


class InProcessRateLimiter:
    """A token bucket for one process: `rate_per_s` sustained, `burst` at once after a lull.

    Implemented as GCRA (virtual scheduling): a theoretical arrival time `tat` moves forward by
    1/rate per request and each caller sleeps until its own slot, so waiters are served in order
    without polling. The Postgres adapter runs the same algorithm in one SQL statement.
    """

    def __init__(
        self,
        rate_per_s: float,
        *,
        burst: int = 1,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("rate_per_s must be > 0 and burst >= 1")
        self._interval = 1.0 / rate_per_s
        self._tolerance = (burst - 1) * self._interval
        self._clock = clock
        self._sleep = sleep
        self._tat = float("-inf")

    async def acquire(self) -> None:
        """Reserve the next slot (no await in between, so no lock needed) and sleep until it."""
        now = self._clock()
        wait = max(0.0, self._tat - self._tolerance - now)
        self._tat = max(self._tat, now) + self._interval
        if wait > 0:
            await self._sleep(wait)

    def __repr__(self) -> str:
        return f"InProcessRateLimiter(rate_per_s={1 / self._interval:g})"


__all__ = ["Clock", "InProcessRateLimiter", "RateLimiter", "Sleep"]
