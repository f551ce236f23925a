"""The Postgres rate limiter waits out a database restart instead of failing the request (and
with it the batch, whose retry would pay again for the requests it already made)."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from shared.clients.polygon import PostgresRateLimiter
from shared.clients.polygon._pg_rate_limit import DB_DOWN_WAIT_S

pytestmark = pytest.mark.unit


class RestartingPool:
    """Refuses `down` reservations the way a restarting Postgres does, then grants them."""

    def __init__(self, down: int) -> None:
        self.down, self.calls = down, 0

    async def fetchval(self, query: str, *args: Any) -> Any:
        self.calls += 1
        if self.calls <= self.down:
            raise asyncpg.CannotConnectNowError("the database system is shutting down")
        return 0.0


class TestDatabaseRestart:
    async def test_a_restart_of_a_few_seconds_is_waited_out(self) -> None:
        """Three refusals, then the slot: acquire returns, having slept between tries."""
        slept: list[float] = []

        async def sleep(s: float) -> None:
            slept.append(s)

        pool = RestartingPool(down=3)
        limiter = PostgresRateLimiter(pool, name="p", rate_per_s=10, sleep=sleep)

        await limiter.acquire()

        assert (4, [0.25, 0.5, 1.0]) == (pool.calls, slept)

    async def test_a_database_down_for_good_fails_after_the_bound(self) -> None:
        """The error comes out once DB_DOWN_WAIT_S has been slept through."""
        slept: list[float] = []

        async def sleep(s: float) -> None:
            slept.append(s)

        limiter = PostgresRateLimiter(
            RestartingPool(down=10**6), name="p", rate_per_s=10, sleep=sleep
        )

        with pytest.raises(asyncpg.CannotConnectNowError):
            await limiter.acquire()

        assert DB_DOWN_WAIT_S <= sum(slept) < DB_DOWN_WAIT_S + 4.0
