"""The one asyncpg pool a service keeps, single connections for tools, and waiting out a database
restart."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg

from shared.settings import PostgresAdminSettings, PostgresSettings

T = TypeVar("T")
# What a Postgres restart looks like from asyncpg.
DB_DOWN: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.OperatorInterventionError,  # cannot connect now, admin shutdown
    asyncpg.InternalClientError,  # a pooled connection the restart broke mid-operation
)


async def create_pool(settings: PostgresSettings) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        host=settings.host,
        port=settings.port,
        database=settings.database,
        user=settings.user,
        password=settings.password.get_secret_value(),
        min_size=settings.pool_min,
        max_size=settings.pool_max,
    )
    assert pool is not None
    return pool


async def connect(
    pg: PostgresSettings, admin: PostgresAdminSettings | None = None, database: str | None = None
) -> asyncpg.Connection:
    """One connection to `pg`'s server: as its user, or as `admin` (bootstrap, tests and
    benchmarks); to its database, or to `database` (`postgres` to create or drop one)."""
    user, password = (pg.user, pg.password) if admin is None else (admin.user, admin.password)
    conn: asyncpg.Connection = await asyncpg.connect(
        host=pg.host,
        port=pg.port,
        database=database or pg.database,
        user=user,
        password=password.get_secret_value(),
    )
    return conn


async def through_restart(
    call: Callable[[], Awaitable[T]],
    for_s: float = 30.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """`call`, tried again with doubling pauses while the database is restarting, `for_s` at
    most: for a write whose failure would cost more than the wait (API requests paid again)."""
    pause, waited = 0.25, 0.0
    while True:
        try:
            return await call()
        except DB_DOWN:
            if waited >= for_s:
                raise
            await sleep(pause)
            waited += pause
            pause = min(pause * 2, 4.0)


__all__ = ["DB_DOWN", "connect", "create_pool", "through_restart"]
