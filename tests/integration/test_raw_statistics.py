"""Each dbt build first analyzes the raw tables autovacuum would analyze at its next round
(migration 0016's control.analyze_stale_raw, called by dbt's on-run-start): a build right after a
backfill is planned on the rows loaded, not on statistics autovacuum took halfway through.

Autovacuum is switched off on the bars table here, so that only the function can analyze it."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from shared.bootstrap import bootstrap_database
from shared.clients.db import connect
from shared.clients.dbt import dbt_environment
from shared.settings import PostgresSettings
from testbed.names import unique_db
from testbed.stack import Stack, drop_database

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
BARS = "raw.stock_bars_daily"
# autovacuum's defaults, which the native stack and compose keep: stale past 50 + 10 % of the rows
THRESHOLD, SCALE = 50, 0.1


@pytest.fixture
async def warehouse(stack: Stack) -> AsyncIterator[tuple[PostgresSettings, asyncpg.Connection]]:
    """A bootstrapped database as the transform role sees it, and an admin connection to it."""
    pg = stack.postgres.model_copy(
        update={
            "database": unique_db("stocks_stats"),
            "user": "elt_transform",
            "password": stack.admin.transform_password,
        }
    )
    await bootstrap_database(pg, stack.admin)
    admin = await connect(pg, stack.admin)
    await admin.execute(f"alter table {BARS} set (autovacuum_enabled = false)")
    yield pg, admin
    await admin.close()
    await drop_database(pg, stack.admin)


async def load_bars(admin: asyncpg.Connection, first: int, count: int) -> None:
    """Bars for days `first` .. `first + count - 1` of one ticker, then wait until the server's
    statistics count them (a session reports its changes within a second or so of committing)."""
    before = await changed_since_analyze(admin)
    await admin.execute(
        f"""
        insert into {BARS} (ticker, trading_date, adjusted, open, high, low, close, volume,
                            bar_ts_ms, source, run_id, object_key)
        select 'STAT', date '2000-01-03' + day, false, 1, 2, 0.5, 1.5, 100,
               0, 'aggs_range', 'r1', 'raw/polygon/stats.jsonl'
        from generate_series($1::int, $1::int + $2::int - 1) as day
        """,
        first,
        count,
    )
    for _ in range(100):
        if await changed_since_analyze(admin) >= before + count:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"the statistics never counted the {count} bars inserted")


async def changed_since_analyze(admin: asyncpg.Connection) -> int:
    changed: int = await admin.fetchval(
        "select n_mod_since_analyze from pg_stat_all_tables where relid = $1::regclass", BARS
    )
    return changed


async def analyze_as_transform(pg: PostgresSettings) -> list[str]:
    conn = await connect(pg)
    try:
        return [row[0] for row in await conn.fetch("select * from control.analyze_stale_raw()")]
    finally:
        await conn.close()


async def row_estimate(admin: asyncpg.Connection) -> float:
    estimate: float = await admin.fetchval(
        "select reltuples from pg_class where oid = $1::regclass", BARS
    )
    return estimate


class TestAnalyzeStaleRaw:
    async def test_analyzes_a_table_past_autovacuums_threshold_and_no_other(
        self, warehouse: tuple[PostgresSettings, asyncpg.Connection]
    ) -> None:
        """2,000 new bars on a never-analyzed table: analyzed, once. Then 199 more stay under
        50 + 10 % of 2,000 (nothing to do), and 52 more pass it (analyzed again)."""
        pg, admin = warehouse
        await load_bars(admin, 0, 2000)

        first = await analyze_as_transform(pg)
        estimate_after_first = await row_estimate(admin)
        again = await analyze_as_transform(pg)
        await load_bars(admin, 2000, 199)
        under_threshold = await analyze_as_transform(pg)
        await load_bars(admin, 2199, int(THRESHOLD + SCALE * 2000) + 2 - 199)
        past_threshold = await analyze_as_transform(pg)

        assert [BARS] == first
        assert 2000 == estimate_after_first
        assert [] == again
        assert [] == under_threshold
        assert [BARS] == past_threshold
        assert 2252 == await row_estimate(admin)

    async def test_a_dbt_build_starts_by_analyzing_raw(
        self, warehouse: tuple[PostgresSettings, asyncpg.Connection], tmp_path: Path
    ) -> None:
        """dbt's on-run-start, as the transform role, before a model reads raw."""
        pg, admin = warehouse
        await load_bars(admin, 0, 500)

        dbt = [str(REPO / ".venv" / "bin" / "dbt"), "run", "--select", "stg_polygon__tickers"]
        paths = ["--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")]
        done = await asyncio.to_thread(
            subprocess.run,
            [*dbt, "--project-dir", "dbt", "--profiles-dir", "dbt", *paths],
            cwd=REPO,
            env=dbt_environment(pg),
            capture_output=True,
            text=True,
        )

        assert 0 == done.returncode, done.stdout[-3000:]
        assert 500 == await row_estimate(admin)
        assert 0 == await changed_since_analyze(admin)
