"""The Postgres rate limiter holds one budget across replicas, within 5 % of its setting."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg
import pytest

from shared.clients.polygon import PostgresRateLimiter

pytestmark = pytest.mark.integration

RATE = 50.0
TOLERANCE = 0.05


async def replica(
    connect: dict[str, Any], name: str, requests: int, workers: int, *, burst: int = 1
) -> list[float]:
    """One fetcher replica: its own pool, `workers` concurrent tasks; returns grant times."""
    granted: list[float] = []
    async with asyncpg.create_pool(**connect, min_size=workers, max_size=workers) as pool:
        limiter = PostgresRateLimiter(pool, name=name, rate_per_s=RATE, burst=burst)
        left = iter(range(requests))

        async def worker() -> None:
            for _ in left:
                await limiter.acquire()
                granted.append(time.monotonic())

        await asyncio.gather(*(worker() for _ in range(workers)))
    return granted


def max_in_window(times: list[float], window_s: float) -> int:
    """The most grants inside any window of `window_s` seconds."""
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window_s:
            start += 1
        best = max(best, end - start + 1)
    return best


class TestPostgresRateLimiter:
    async def test_two_replicas_share_one_budget(self, pg_connect_kwargs: dict[str, Any]) -> None:
        """Two replicas (separate pools, 4 tasks each) asking 160 permits get 50/s together."""
        a, b = await asyncio.gather(
            replica(pg_connect_kwargs, "shared-budget", 80, 4),
            replica(pg_connect_kwargs, "shared-budget", 80, 4),
        )

        times = sorted(a + b)
        rate = (len(times) - 1) / (times[-1] - times[0])
        print(f"measured {rate:.2f} req/s for {RATE} (max {max_in_window(times, 1.0)} in 1 s)")  # noqa: T201
        expected = (True, True)
        assert expected == (
            abs(rate - RATE) / RATE <= TOLERANCE,
            max_in_window(times, 1.0) <= RATE * (1 + TOLERANCE) + 1,
        )

    async def test_both_replicas_get_served(self, pg_connect_kwargs: dict[str, Any]) -> None:
        """The shared budget is split, not hogged: each replica gets all its 25 permits."""
        a, b = await asyncio.gather(
            replica(pg_connect_kwargs, "fairness", 25, 2),
            replica(pg_connect_kwargs, "fairness", 25, 2),
        )

        expected = (25, 25)
        assert expected == (len(a), len(b))

    async def test_separate_names_are_separate_budgets(
        self, pg_connect_kwargs: dict[str, Any]
    ) -> None:
        """Two names each get the full rate: 50 permits on each take about 1 s, not 2."""
        started = time.monotonic()
        await asyncio.gather(
            replica(pg_connect_kwargs, "key-one", 51, 2),
            replica(pg_connect_kwargs, "key-two", 51, 2),
        )

        elapsed = time.monotonic() - started
        assert True is (0.95 <= elapsed < 1.6)

    async def test_burst_lets_the_first_permits_through_at_once(
        self, pg_connect_kwargs: dict[str, Any]
    ) -> None:
        """With burst 10 on a fresh name, the first 10 permits come without waiting."""
        times = await replica(pg_connect_kwargs, "bursty", 10, 10, burst=10)

        assert True is (max(times) - min(times) < 0.1)
