"""A throwaway database with hand-made raw rows, and the dbt builds the dbt tests share.

The builds run once per session, in this order: first build, an identical second build, then new
raw rows, an incremental build and a full refresh. Each fixture keeps a snapshot of what it built,
so a test reads the state of its step whatever ran before it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import psycopg2.extras  # type: ignore[import-untyped]
import pytest

from tests.integration.dbt.project import DbtProject, Invocation, Rows, apply_migrations, connect
from tests.integration.dbt.raw_data import RAW_TICKERS, RawBar, build_raw_bars
from tests.support.names import unique_db
from tests.support.stack import Stack


@dataclass(frozen=True)
class Build:
    """A dbt build and what the database held right after it."""

    invocation: Invocation
    staging: Rows
    marts: dict[str, Rows]


def insert_bars(project: DbtProject, bars: list[RawBar]) -> None:
    """Upsert raw bars the way the loader does; a re-pulled bar gets a fresh loaded_at."""
    columns = RawBar.columns()
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns[3:])
    sql = (
        f"insert into raw.stock_bars_daily ({', '.join(columns)}) values %s "
        f"on conflict (ticker, trading_date, adjusted) do update set {updates}, loaded_at = now()"
    )
    with project.connect() as conn, conn.cursor() as cur:
        psycopg2.extras.execute_values(cur, sql, [b.values() for b in bars])


def build(project: DbtProject, *args: str) -> Build:
    invocation = project.invoke("build", *args)
    assert invocation.returncode == 0, invocation.output[-5000:]
    return Build(
        invocation,
        project.read("staging.stg_polygon__stock_bars_daily"),
        project.read_marts(),
    )


@pytest.fixture(scope="session")
def raw_bars() -> list[RawBar]:
    return build_raw_bars()


@pytest.fixture(scope="session")
def dbt_project(
    stack: Stack, raw_bars: list[RawBar], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DbtProject]:
    """A fresh database with the migrations and raw rows in it; dropped at the end."""
    database = unique_db("stocks_dbt_test")
    with connect(stack, "postgres") as admin, admin.cursor() as cur:
        cur.execute(f'create database "{database}"')
    try:
        project = DbtProject(stack, database, Path(tmp_path_factory.mktemp("dbt")))
        with project.connect() as conn:
            apply_migrations(conn)
            with conn.cursor() as cur:
                psycopg2.extras.execute_values(
                    cur,
                    "insert into raw.tickers (ticker, name, market, locale, primary_exchange,"
                    " type, active, run_id, object_key) values %s",
                    [
                        (*t, "run-dbt-test", "raw/polygon/run-dbt-test/tickers.json")
                        for t in RAW_TICKERS
                    ],
                )
        insert_bars(project, raw_bars)
        yield project
    finally:
        with connect(stack, "postgres") as admin, admin.cursor() as cur:
            cur.execute(f'drop database if exists "{database}" with (force)')


@pytest.fixture(scope="session")
def first_build(dbt_project: DbtProject) -> Build:
    return build(dbt_project)


@pytest.fixture(scope="session")
def second_build(dbt_project: DbtProject, first_build: Build) -> Build:
    return build(dbt_project)


@pytest.fixture(scope="session")
def incremental_and_full_refresh(
    dbt_project: DbtProject, raw_bars: list[RawBar], second_build: Build
) -> tuple[Build, Build]:
    """New raw rows (a new day for AAA, a re-pulled KIMpL bar), then incremental vs full refresh."""
    aaa = [b for b in raw_bars if b.ticker == "AAA"]
    last = aaa[-1]
    next_day = last.trading_date + dt.timedelta(days=3)  # the Monday after the last Friday
    new_day = replace(
        last,
        trading_date=next_day,
        open=last.close,
        close=last.close * 1.03,
        high=last.close * 1.04,
        low=last.close * 0.99,
    )
    kim = [b for b in raw_bars if b.ticker == "KIMpL" and b.adjusted][5]
    repulled = replace(kim, close=kim.close * 0.98, low=kim.low * 0.95)
    insert_bars(dbt_project, [new_day, repulled])
    incremental = build(dbt_project)
    full_refresh = build(dbt_project, "--full-refresh", "--select", "marts")
    return incremental, full_refresh
