"""A throwaway Postgres database with migrations 0001 and 0002, for the rate limiter tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from testbed.names import unique_db
from testbed.stack import Stack

MIGRATIONS = Path(__file__).resolve().parents[3] / "shared" / "db" / "migrations"


@pytest.fixture(scope="module")
async def pg_connect_kwargs(stack: Stack) -> AsyncIterator[dict[str, Any]]:
    """Connection arguments of a fresh database (admin role), dropped afterwards."""
    name = unique_db("polygon_client")
    server: dict[str, Any] = dict(
        host=stack.postgres.host,
        port=stack.postgres.port,
        user=stack.admin.user,
        password=stack.admin.password.get_secret_value(),
    )
    admin = await asyncpg.connect(**server, database="postgres")
    try:
        await admin.execute(f'create database "{name}"')
        db = await asyncpg.connect(**server, database=name)
        try:
            for file in sorted(MIGRATIONS.glob("000[12]_*.sql")):
                await db.execute(file.read_text())
        finally:
            await db.close()
        yield {**server, "database": name}
    finally:
        await admin.execute(f'drop database if exists "{name}" with (force)')
        await admin.close()
