"""A deployment-wide request rate: GCRA on one row of control.api_rate_limit, shared by replicas."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from shared.clients.db import through_restart

from ._rate_limit import Sleep

# A Postgres restart (seconds) must not fail the batch being fetched: it would be retried whole,
# paying again for the requests it already made (the chaos e2e saw ~40 range requests twice).
# So losing the database while reserving a slot is waited out, for this long at most.
DB_DOWN_WAIT_S = 30.0

# One atomic statement per request. The row lock taken by ON CONFLICT DO UPDATE serialises the
# replicas; the slot is computed from the database clock, so replicas' clocks never matter.
#   new tat = greatest(tat, now) + interval
#   wait    = greatest(old tat - tolerance - now, 0)  (old tat or now = new tat - interval)
# The first request for a name inserts the row and goes at once.
_ACQUIRE_SQL = """
insert into control.api_rate_limit as r (name, tat, updated_at)
values ($1, clock_timestamp() + make_interval(secs => $2), clock_timestamp())
on conflict (name) do update
    set tat = greatest(r.tat, clock_timestamp()) + make_interval(secs => $2),
        updated_at = clock_timestamp()
returning greatest(
    extract(epoch from (r.tat - make_interval(secs => $2 + $3) - clock_timestamp())), 0
)::float8
"""


class _Pool(Protocol):
    """The part of `asyncpg.Pool` this adapter uses."""

    async def fetchval(self, query: str, *args: Any) -> Any: ...


class PostgresRateLimiter:
    """`rate_per_s` requests per second across every process that uses the same row `name`.

    Needs migration 0002 (control.api_rate_limit). Each `acquire` is one round trip plus a sleep
    until the reserved slot; the pool is the service's own asyncpg pool, passed in.
    """

    def __init__(
        self,
        pool: _Pool,
        *,
        name: str,
        rate_per_s: float,
        burst: int = 1,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("rate_per_s must be > 0 and burst >= 1")
        self._pool = pool
        self._name = name
        self._interval = 1.0 / rate_per_s
        self._tolerance = (burst - 1) * self._interval
        self._sleep = sleep

    async def acquire(self) -> None:
        """Reserve the next deployment-wide slot and sleep until it comes."""
        wait = await self._reserve()
        if wait and wait > 0:
            await self._sleep(float(wait))

    async def _reserve(self) -> Any:
        """The reservation's wait; through a database restart, up to DB_DOWN_WAIT_S."""
        return await through_restart(
            lambda: self._pool.fetchval(_ACQUIRE_SQL, self._name, self._interval, self._tolerance),
            DB_DOWN_WAIT_S,
            self._sleep,
        )

    def __repr__(self) -> str:
        return f"PostgresRateLimiter(name={self._name!r}, rate_per_s={1 / self._interval:g})"


__all__ = ["PostgresRateLimiter"]
