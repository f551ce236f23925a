"""An asyncpg pool on a test database as one of the app roles (ingest, transform, reader), so a
test reaches Postgres with exactly the privileges that role's services have."""

from __future__ import annotations

import asyncpg

from shared.settings import PostgresSettings


async def role_pool(
    pg: PostgresSettings, user: str, password: str, max_size: int = 4
) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        host=pg.host,
        port=pg.port,
        database=pg.database,
        user=user,
        password=password,
        min_size=1,
        max_size=max_size,
    )
    assert pool is not None
    return pool
