"""Bootstrap against the real servers: the roles it makes work, and running it twice is harmless."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from shared.bootstrap import bootstrap_database, bootstrap_topics
from shared.messages.topics import all_topics
from shared.settings import PostgresSettings
from testbed.names import unique_db
from testbed.stack import Stack, drop_database

pytestmark = pytest.mark.integration

_CATALOG = """
select n.nspname || '.' || c.relname || ':' || c.relkind::text || ':' ||
       coalesce(array_to_string(c.relacl, ','), '')
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname in ('control', 'raw', 'staging', 'marts') order by 1
"""


async def _admin(stack: Stack, database: str) -> asyncpg.Connection:
    return await asyncpg.connect(
        host=stack.postgres.host,
        port=stack.postgres.port,
        user=stack.admin.user,
        password=stack.admin.password.get_secret_value(),
        database=database,
    )


@pytest.fixture
async def fresh_db(stack: Stack) -> AsyncIterator[PostgresSettings]:
    """Settings for a database that does not exist yet; dropped afterwards."""
    pg = stack.postgres.model_copy(update={"database": unique_db()})
    yield pg
    await drop_database(pg, stack.admin)


class TestDatabaseBootstrap:
    async def test_second_run_changes_nothing(
        self, stack: Stack, fresh_db: PostgresSettings
    ) -> None:
        """Tables, their grants and the migration log are identical after a second bootstrap."""
        await bootstrap_database(fresh_db, stack.admin)
        conn = await _admin(stack, fresh_db.database)
        before = await conn.fetch(_CATALOG)
        migrations = await conn.fetch("select * from control.schema_migrations order by 1")

        await bootstrap_database(fresh_db, stack.admin)

        assert before == await conn.fetch(_CATALOG)
        assert migrations == await conn.fetch("select * from control.schema_migrations order by 1")
        await conn.close()

    async def test_ingest_role_writes_raw_and_reader_cannot(
        self, stack: Stack, fresh_db: PostgresSettings
    ) -> None:
        """Each role connects with bootstrap's password and has only its own privileges."""
        await bootstrap_database(fresh_db, stack.admin)
        ingest = await asyncpg.connect(
            host=fresh_db.host,
            port=fresh_db.port,
            database=fresh_db.database,
            user="elt_ingest",
            password=stack.admin.ingest_password.get_secret_value(),
        )
        reader = await asyncpg.connect(
            host=fresh_db.host,
            port=fresh_db.port,
            database=fresh_db.database,
            user="elt_reader",
            password=stack.admin.reader_password.get_secret_value(),
        )
        try:
            await ingest.execute(
                "insert into raw.tickers (ticker, run_id, object_key) values ('BRK.A', 'r', 'k')"
            )
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await reader.execute("delete from raw.tickers")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await ingest.execute("create table marts.nope (x int)")

            assert ["BRK.A"] == [r[0] for r in await ingest.fetch("select ticker from raw.tickers")]
        finally:
            await ingest.close()
            await reader.close()


class TestTopicBootstrap:
    async def test_every_topic_has_at_least_twelve_partitions_after_two_runs(
        self, stack: Stack
    ) -> None:
        """Consumed topics and their DLQ twins exist with enough partitions for 12 replicas."""
        await bootstrap_topics(stack.kafka)
        await bootstrap_topics(stack.kafka)
        admin = AIOKafkaAdminClient(bootstrap_servers=stack.kafka.bootstrap_servers)
        await admin.start()
        try:
            described = await admin.describe_topics(all_topics())
        finally:
            await admin.close()

        counts = {t["topic"]: len(t["partitions"]) for t in described}
        assert set(all_topics()) == set(counts)
        assert all(n >= 12 for n in counts.values()), counts
