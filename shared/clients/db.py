"""The one asyncpg pool a service keeps."""

from __future__ import annotations

import asyncpg

from shared.settings import PostgresSettings


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


__all__ = ["create_pool"]
