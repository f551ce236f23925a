"""Least privilege in Postgres and MinIO. As each role, what its services run succeeds (through
their own repositories where the call is cheap to set up, their SQL otherwise) and what no service
needs fails with InsufficientPrivilege. Each service's MinIO user does what its service does under
the raw prefix, and nothing else."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import pytest
from minio import Minio
from minio.error import S3Error

from services.cli.runs import RunReader
from services.fetcher.repository import BatchRepository
from services.lister.repository import RunRepository
from services.loader.core import BAR_COLUMNS, TICKER_COLUMNS
from services.loader.repository import ACTION_WATERMARKS_UPSERT, SPLITS_UPSERT, RawRepository
from services.transformer.core import DataTestResult, DbtOutcome
from services.transformer.repository import ControlRepository
from shared.bootstrap import bootstrap_database, bootstrap_storage
from shared.bootstrap.grants import undecided
from shared.bootstrap.storage_users import revoke_bucket_access
from shared.clients.polygon._pg_rate_limit import PostgresRateLimiter
from shared.clients.storage import minio_client
from shared.db.control import RunStatus
from shared.db.outbox import OutboxMessage
from shared.messages import topics
from shared.messages.raw_objects import TickerError
from shared.settings import MinioService, MinioSettings, PostgresSettings
from testbed.names import unique, unique_db
from testbed.stack import Stack, drop_database

pytestmark = pytest.mark.integration

RUN = "lp-run"
Pools = dict[str, asyncpg.Pool]


@pytest.fixture(scope="module")
async def pg(stack: Stack) -> AsyncIterator[PostgresSettings]:
    settings = stack.postgres.model_copy(update={"database": unique_db("stocks_lp")})
    await bootstrap_database(settings, stack.admin)
    yield settings
    await drop_database(settings, stack.admin)


@pytest.fixture(scope="module")
async def pools(stack: Stack, pg: PostgresSettings) -> AsyncIterator[Pools]:
    """One small pool per role, and one as the admin for checks."""
    admin = stack.admin
    passwords = {
        "elt_ingest": admin.ingest_password,
        "elt_transform": admin.transform_password,
        "elt_reader": admin.reader_password,
        admin.user: admin.password,
    }
    out: Pools = {}
    for role, password in passwords.items():
        pool = await asyncpg.create_pool(
            host=pg.host,
            port=pg.port,
            database=pg.database,
            user=role,
            password=password.get_secret_value(),
            min_size=1,
            max_size=2,
        )
        assert pool is not None
        out[role] = pool
    yield out
    for pool in out.values():
        await pool.close()


async def _chunks(rows: list[tuple[Any, ...]]) -> AsyncIterator[list[tuple[Any, ...]]]:
    yield rows


def _bar(day: int) -> tuple[Any, ...]:
    values = {"ticker": "LPX", "trading_date": date(2024, 3, day), "adjusted": False}
    values |= {"open": 1.0, "high": 2.0, "low": 0.5, "close": 1.5, "volume": 10.0}
    values |= {"vwap": 1.2, "transactions": 3, "otc": False, "bar_ts_ms": 1709528400000}
    values |= {"source": "aggs_range", "run_id": RUN, "object_key": "raw/polygon/lp/b1.jsonl"}
    return tuple(values[c] for c in BAR_COLUMNS)


def _ticker() -> tuple[Any, ...]:
    values: dict[str, Any] = dict.fromkeys(TICKER_COLUMNS)
    values |= {"ticker": "LPX", "name": "LP Corp", "market": "stocks", "active": True}
    values |= {"last_updated_utc": datetime(2024, 3, 1, tzinfo=UTC), "run_id": RUN}
    values |= {"object_key": "raw/polygon/lp/tickers.jsonl"}
    return tuple(values[c] for c in TICKER_COLUMNS)


class TestEachRoleRunsItsServicesStatements:
    """In pipeline order on one database: the ingest role's calls, then the transform role's."""

    async def test_lister_fetcher_loader_and_cli_as_elt_ingest(
        self, pools: Pools, pg: PostgresSettings, stack: Stack
    ) -> None:
        """Register a run and its batches, fetch, load bars (straight COPY, then the staged
        upsert of a replay), tickers, splits (one corrected to another ticker), errors and
        watermarks, take a rate-limit slot, and read the run back as `stocks-elt status` does."""
        ingest = pools["elt_ingest"]
        runs = RunRepository(ingest)
        await ingest.execute(
            "insert into control.runs (run_id, request) values ($1, '{}'::jsonb)"
            " on conflict (run_id) do update set updated_at = control.runs.updated_at"
            " returning status",
            RUN,
        )
        await ingest.execute(
            "insert into control.batches (run_id, batch_id, tickers, command)"
            " values ($1, 'b1', '{LPX}', '{}'::jsonb) on conflict do nothing",
            RUN,
        )
        await ingest.execute(
            "update control.runs set status = $2, total_batches = 1, updated_at = now()"
            " where run_id = $1 and status = $3",
            RUN,
            RunStatus.RUNNING,
            RunStatus.LISTING,
        )
        await BatchRepository(ingest).mark_fetched(
            RUN, "b1", "raw/polygon/lp/b1.jsonl", 1, {"200": 1}
        )
        loader = RawRepository(ingest)
        assert await loader.run_exists(RUN)
        error = TickerError(kind="gave_up", reason="x")
        for _ in range(2):  # the replay takes the staged path: temp table, upsert, watermarks
            rows = await loader.load(
                "daily_bars", RUN, "b1", "k1", _chunks([_bar(4), _bar(5)]), [("LPY", error)]
            )
            await loader.load("tickers", RUN, "tickers", "k2", _chunks([_ticker()]), [])
        # the second sends it under another ticker: raw's trigger records the move
        for ticker in ("LPX", "LPZ"):
            await ingest.execute(
                SPLITS_UPSERT, ["s1"], [ticker], [date(2024, 3, 4)], [1.0], [2.0], RUN, "k3"
            )
        await ingest.execute(
            ACTION_WATERMARKS_UPSERT, "splits", ["LPX"], date(2024, 1, 1), date(2024, 3, 5)
        )
        await ingest.execute(
            "insert into raw.rejected_corporate_actions (kind, event_id, ticker, reason, payload,"
            " run_id, object_key) values ('split', 'e1', 'LPX', 'bad', '{}', $1, 'k3')"
            " on conflict do nothing",
            RUN,
        )
        limiter = PostgresRateLimiter(ingest, name="lp", rate_per_s=1000.0)
        await limiter.acquire()
        as_ingest = {"user": "elt_ingest", "password": stack.admin.ingest_password}
        reader = await RunReader.connect(pg.model_copy(update=as_ingest))
        try:
            errors = await reader.ticker_errors(RUN)
            recent = [r.run_id for r in await reader.recent()]
        finally:
            await reader.close()

        assert 2 == rows
        assert [("s1", "LPX", "LPZ")] == [
            tuple(r)
            for r in await pools[stack.admin.user].fetch(
                "select split_id, from_ticker, to_ticker from raw.split_ticker_moves"
            )
        ]
        assert {"LPX": date(2024, 3, 5)} == await runs.watermarks()
        assert {"LPX": date(2024, 3, 4)} == await runs.first_bars(["LPX"])
        assert {"splits"} == set(await runs.action_watermarks())
        assert [] == await runs.unloaded_commands(RUN)
        assert [("LPY", "gave_up", "x")] == errors
        assert RUN in recent

    async def test_transformer_as_elt_transform(self, pools: Pools) -> None:
        """Complete the set, claim, heartbeat, the sweeps, finish with test results and an
        outbox event, relay it, summarise."""
        control = ControlRepository(pools["elt_transform"])
        event = OutboxMessage(f"{RUN}/finished", topics.RUN_EVENTS, RUN, '{"run_id": "lp-run"}')
        test = DataTestResult("test.stocks_elt.lp", "pass", 0, None)

        # Privileges are under test here, not the completion rules: outcomes are not asserted.
        await control.complete_batch(RUN, "b1")
        await control.claim(RUN)
        await control.heartbeat([RUN])
        await control.claim_complete()
        await control.take_over_stale(3600.0)
        await control.fail_stalled(3600.0, lambda run_id, reason: [])
        for _ in range(2):  # a resumed run's results replace the first build's
            outcome = DbtOutcome(ok=True, tests=(test,))
            await control.finish(RUN, RunStatus.SUCCEEDED, None, outcome, [event])
        pending = await control.outbox_pending()
        await control.outbox_published([p.id for p in pending])

        assert [event.topic] == [p.topic for p in pending]
        assert 2 == (await control.summary(RUN))["bars"]


FORBIDDEN: list[tuple[str, str]] = [
    # the migrations ledger is the admin's
    ("elt_ingest", "delete from control.schema_migrations"),
    ("elt_transform", "delete from control.schema_migrations"),
    ("elt_ingest", "insert into control.schema_migrations (version) values ('9999_x')"),
    ("elt_transform", "update control.schema_migrations set applied_at = now()"),
    # no service deletes or truncates history
    ("elt_ingest", "delete from control.runs"),
    ("elt_ingest", "delete from control.batches"),
    ("elt_ingest", "delete from raw.stock_bars_daily"),
    ("elt_ingest", "delete from raw.tickers"),
    ("elt_ingest", "truncate raw.stock_splits"),
    ("elt_transform", "delete from control.runs"),
    ("elt_transform", "delete from control.outbox"),
    ("elt_transform", "delete from raw.stock_bars_daily"),
    ("elt_transform", "update raw.stock_bars_daily set close = 0"),
    (
        "elt_transform",
        "insert into control.batches (run_id, batch_id, tickers) values ('x', 'y', '{}')",
    ),
    ("elt_ingest", "update control.completed_batches set batch_id = batch_id"),
    # the lister writes its events to the outbox; only the transformer's relay marks them
    ("elt_ingest", "update control.outbox set published_at = now()"),
    ("elt_ingest", "delete from control.outbox"),
    # no DDL outside dbt's own schemas
    ("elt_ingest", "drop table raw.stock_bars_daily"),
    ("elt_transform", "drop table raw.stock_bars_daily"),
    ("elt_transform", "alter table control.runs add column x int"),
    ("elt_transform", "create schema x"),
    ("elt_transform", "create schema if not exists marts"),
    ("elt_ingest", "create schema x"),
    ("elt_ingest", "create table raw.x (a int)"),
    ("elt_ingest", "create table marts.x (a int)"),
    ("elt_transform", "create table raw.x (a int)"),
    # only dbt analyzes raw, through migration 0016's function
    ("elt_ingest", "select control.analyze_stale_raw()"),
    ("elt_reader", "select control.analyze_stale_raw()"),
    # the reader reads
    ("elt_reader", f"update control.runs set status = '{RunStatus.FAILED.value}'"),
    ("elt_reader", "insert into control.runs (run_id, request) values ('x', '{}')"),
    ("elt_reader", "delete from control.runs"),
    ("elt_reader", "select count(*) from raw.stock_bars_daily"),
    ("elt_reader", "create table marts.x (a int)"),
    ("elt_reader", "create temporary table x (a int)"),
]


class TestForbiddenStatementsFail:
    @pytest.mark.parametrize(("role", "sql"), FORBIDDEN, ids=[f"{r}: {s}" for r, s in FORBIDDEN])
    async def test_statement_is_refused(self, pools: Pools, role: str, sql: str) -> None:
        """Refused for lack of privilege, not for any other reason."""
        async with pools[role].acquire() as conn:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(sql)


class TestDbtOwnsItsSchemas:
    async def test_elt_transform_builds_in_its_schemas_and_the_reader_reads_marts(
        self, pools: Pools
    ) -> None:
        """Tables, views and functions in dbt's schemas without CREATE on the database; a table
        elt_transform creates in marts is readable by elt_reader at once."""
        transform = pools["elt_transform"]
        for sql in [
            "create table intermediate.lp_t as select 1 as a",
            "create table dbt_test__audit.lp_t as select 1 as a",
            "create view staging.lp_v as select 1 as a",
            "create table marts.lp_t as select a from staging.lp_v",
            "create or replace function marts.lp_f(x int) returns int language sql as 'select x'",
            "create temporary table lp_tmp as select 1 as a",
        ]:
            await transform.execute(sql)

        assert 1 == await pools["elt_reader"].fetchval("select marts.lp_f(a) from marts.lp_t")
        for sql in ["drop table marts.lp_t", "drop view staging.lp_v"]:
            await transform.execute(sql)


class TestEveryTableIsDecided:
    async def test_every_control_and_raw_table_has_grants_or_is_the_admins(
        self, pools: Pools
    ) -> None:
        """A new migration's table must be added to shared/bootstrap/grants.py."""
        rows = await pools["elt_reader"].fetch(
            "select schemaname || '.' || tablename from pg_tables"
            " where schemaname in ('control', 'raw')"
        )

        assert [] == undecided({r[0] for r in rows})


@pytest.fixture(scope="module")
def bucket(stack: Stack) -> Iterator[MinioSettings]:
    """A bucket of its own, bootstrapped with the services' users and policies on it."""
    settings = stack.minio.model_copy(update={"bucket": unique("lp")})
    asyncio.run(bootstrap_storage(settings))
    yield settings
    root = minio_client(settings)
    for obj in root.list_objects(settings.bucket, recursive=True):
        root.remove_object(settings.bucket, obj.object_name or "")
    root.remove_bucket(settings.bucket)
    revoke_bucket_access(settings)


def _put(client: Minio, bucket: str, key: str) -> None:
    client.put_object(bucket, key, io.BytesIO(b"{}\n"), 3)


def _denied(call: Callable[[], object]) -> bool:
    try:
        call()
    except S3Error as exc:
        return exc.code == "AccessDenied"
    return False


class TestEachServiceHasItsOwnMinioUser:
    @pytest.mark.parametrize("service", ["fetcher", "lister"])
    def test_writers_put_under_raw_and_nothing_else(
        self, bucket: MinioSettings, service: MinioService
    ) -> None:
        """Put under raw/ works; get, delete, put elsewhere and listing are denied."""
        c, b = minio_client(bucket.for_service(service)), bucket.bucket
        key = f"raw/polygon/lp/{service}.jsonl"

        _put(c, b, key)

        assert [True] * 4 == [
            _denied(lambda: c.get_object(b, key)),
            _denied(lambda: c.remove_object(b, key)),
            _denied(lambda: _put(c, b, "other/x.jsonl")),
            _denied(lambda: list(c.list_objects(b, prefix="raw/", recursive=True))),
        ]

    def test_loader_gets_under_raw_and_nothing_else(self, bucket: MinioSettings) -> None:
        """Get under raw/ works; put, delete and a get outside raw/ are denied."""
        root, c, b = minio_client(bucket), minio_client(bucket.for_service("loader")), bucket.bucket
        _put(root, b, "raw/polygon/lp/loaded.jsonl")
        _put(root, b, "other/secret.jsonl")

        assert b"{}\n" == c.get_object(b, "raw/polygon/lp/loaded.jsonl").read()
        assert [True] * 3 == [
            _denied(lambda: _put(c, b, "raw/polygon/lp/new.jsonl")),
            _denied(lambda: c.remove_object(b, "raw/polygon/lp/loaded.jsonl")),
            _denied(lambda: c.get_object(b, "other/secret.jsonl")),
        ]

    def test_transformer_lists_raw_and_reads_nothing(self, bucket: MinioSettings) -> None:
        """The reconciler lists a run's keys under raw/; objects and other prefixes are denied."""
        root, b = minio_client(bucket), bucket.bucket
        c = minio_client(bucket.for_service("transformer"))
        _put(root, b, "raw/polygon/lp2/b1.jsonl")

        keys = [o.object_name for o in c.list_objects(b, prefix="raw/polygon/lp2/", recursive=True)]

        assert ["raw/polygon/lp2/b1.jsonl"] == keys
        assert [True] * 3 == [
            _denied(lambda: c.get_object(b, "raw/polygon/lp2/b1.jsonl")),
            _denied(lambda: list(c.list_objects(b, prefix="other/", recursive=True))),
            _denied(lambda: _put(c, b, "raw/polygon/lp2/b2.jsonl")),
        ]

    def test_no_service_uses_the_root_user(self, bucket: MinioSettings) -> None:
        """Every service's access key differs from the root user's, and from each other's."""
        services: list[MinioService] = ["lister", "fetcher", "loader", "transformer"]

        keys = [bucket.for_service(s).access_key for s in services]

        assert len(services) == len(set(keys) - {bucket.access_key})
