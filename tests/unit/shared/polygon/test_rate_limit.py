"""The in-process rate limiter (GCRA token bucket) and that the client asks it per request."""

from __future__ import annotations

import asyncio

import pytest

from shared.clients.polygon import InProcessRateLimiter

from .fakes import FakeClock

pytestmark = pytest.mark.unit


class TestInProcessRateLimiter:
    async def test_spaces_requests_at_the_rate(self) -> None:
        """At 10/s, five back-to-back permits are granted 0.1 s apart."""
        clock = FakeClock()
        limiter = InProcessRateLimiter(10.0, clock=clock, sleep=clock.sleep)

        granted = []
        for _ in range(5):
            await limiter.acquire()
            granted.append(round(clock.now, 6))

        expected = [0.0, 0.1, 0.2, 0.3, 0.4]
        assert expected == granted

    async def test_concurrent_waiters_get_distinct_slots(self) -> None:
        """Ten tasks acquiring at once are given ten different slots 0.1 s apart."""
        waits: list[float] = []

        async def frozen_sleep(seconds: float) -> None:
            waits.append(seconds)  # time stands still: all ten ask at t=0
            await asyncio.sleep(0)

        limiter = InProcessRateLimiter(10.0, clock=lambda: 0.0, sleep=frozen_sleep)

        await asyncio.gather(*(limiter.acquire() for _ in range(10)))

        assert [round(0.1 * n, 6) for n in range(1, 10)] == sorted(round(s, 6) for s in waits)

    async def test_burst_goes_at_once_then_the_rate_holds(self) -> None:
        """With burst 3, three permits are immediate and the fourth waits one interval."""
        clock = FakeClock()
        limiter = InProcessRateLimiter(10.0, burst=3, clock=clock, sleep=clock.sleep)

        for _ in range(4):
            await limiter.acquire()

        expected = [0.1]
        assert expected == [round(s, 6) for s in clock.sleeps]

    async def test_idle_time_does_not_bank_more_than_the_burst(self) -> None:
        """After a long pause only `burst` permits are free again."""
        clock = FakeClock()
        limiter = InProcessRateLimiter(10.0, burst=2, clock=clock, sleep=clock.sleep)
        await limiter.acquire()
        clock.now += 100.0

        for _ in range(3):
            await limiter.acquire()

        expected = [0.1]
        assert expected == [round(s, 6) for s in clock.sleeps]

    def test_rejects_a_non_positive_rate(self) -> None:
        """A zero rate is a configuration error."""
        with pytest.raises(ValueError):
            InProcessRateLimiter(0.0)
