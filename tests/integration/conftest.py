"""The integration tier's shared fixtures (the `stack` itself is in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from shared.bootstrap import bootstrap_database
from testbed.names import unique_db
from testbed.stack import Stack, drop_database


@pytest.fixture
async def ingest_pool(stack: Stack) -> AsyncIterator[asyncpg.Pool]:
    """A fresh database bootstrapped as production is, reached as the ingest role (lister,
    fetcher, loader), with a registered run `r1`; dropped afterwards."""
    pg = stack.postgres.model_copy(update={"database": unique_db()})
    await bootstrap_database(pg, stack.admin)
    pool = await asyncpg.create_pool(
        host=pg.host,
        port=pg.port,
        database=pg.database,
        user=pg.user,
        password=pg.password.get_secret_value(),
    )
    assert pool is not None
    await pool.execute("insert into control.runs (run_id, request) values ('r1', '{}')")
    yield pool
    await pool.close()
    await drop_database(pg, stack.admin)
