"""Incremental builds read the rows loaded since their previous build began (its mark): a bulk
load built once is not read again, and a load whose transaction was open while a build began
(its rows stamped before the build, committed after) is still built by the next one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, replace

import psycopg2  # type: ignore[import-untyped]
import pytest

from tests.integration.dbt.comparing import approx_rows, plain_rows
from tests.integration.dbt.conftest import Build, build
from tests.integration.dbt.project import DbtProject
from tests.integration.dbt.raw_data import RawBar
from tests.integration.dbt.writers import create_raw

pytestmark = pytest.mark.integration

MARKED = (
    "intermediate.int_stock_bars_adjusted",
    "marts.fct_moving_averages",
    "marts.fct_rolling_volatility",
)


@dataclass(frozen=True)
class LateLoad:
    """A bar inserted in a transaction left open across a build, committed after it."""

    bar: RawBar
    stamped_at: dt.datetime  # its loaded_at: the transaction's start
    marks_during: dict[str, dt.datetime]  # the marks of the build that ran while it was open
    built_during: Build
    built_after: Build
    full_refresh: Build


def marks(project: DbtProject) -> dict[str, dt.datetime]:
    """Each marked model's mark, by table (schema.name)."""
    rows = project.read("intermediate.dbt_model_marks")
    return {row["model"].split(".", 1)[1].replace('"', ""): row["visible_since"] for row in rows}


def newest_raw_load(project: DbtProject) -> dt.datetime:
    newest: dt.datetime = max(row["loaded_at"] for row in project.read("raw.stock_bars_daily"))
    return newest


def next_bar(bars: list[RawBar]) -> RawBar:
    last = max((b for b in bars if b.ticker == "AAA"), key=lambda b: b.trading_date)
    day = last.trading_date + dt.timedelta(days=3)  # the Monday after the last Friday
    close = last.close * 1.02
    return replace(last, trading_date=day, open=last.close, close=close, high=close, low=last.close)


def open_insert(project: DbtProject, bar: RawBar) -> psycopg2.extensions.connection:
    """A connection whose open transaction has inserted `bar` (loaded_at = its start)."""
    stack = project.stack
    conn = psycopg2.connect(
        host=stack.postgres.host,
        port=stack.postgres.port,
        dbname=project.database,
        user=stack.admin.user,
        password=stack.admin.password.get_secret_value(),
    )
    columns = RawBar.columns()
    with conn.cursor() as cur:
        cur.execute(
            f"insert into raw.stock_bars_daily ({', '.join(columns)})"
            f" values ({', '.join(['%s'] * len(columns))})",
            bar.values(),
        )
    return conn


@pytest.fixture(scope="module")
def marked_project(
    throwaway_project: Iterator[DbtProject], raw_bars: list[RawBar]
) -> tuple[DbtProject, Build]:
    project = next(throwaway_project)
    create_raw(project, raw_bars, [], [])
    return project, build(project)


@pytest.fixture(scope="module")
def late_load(marked_project: tuple[DbtProject, Build], raw_bars: list[RawBar]) -> LateLoad:
    project, _ = marked_project
    bar = next_bar(raw_bars)
    conn = open_insert(project, bar)
    try:
        with conn.cursor() as cur:
            cur.execute("select now()")
            stamped_at = cur.fetchone()[0]
        during = build(project)
        marks_during = marks(project)
        conn.commit()
    finally:
        conn.close()
    after = build(project)
    return LateLoad(bar, stamped_at, marks_during, during, after, build(project, "--full-refresh"))


class TestMarks:
    def test_a_build_marks_every_incremental_model_after_the_rows_it_read(
        self, marked_project: tuple[DbtProject, Build]
    ) -> None:
        """With no load open, a build's mark is its own start: later than every raw row it
        built, so the next build reads none of them again (the old bound, one hour before the
        newest row, re-read a whole backfill)."""
        project, _ = marked_project

        found = marks(project)

        assert sorted(MARKED) == sorted(found)
        newest = newest_raw_load(project)
        assert all(newest < since for since in found.values()), (newest, found)

    def test_a_build_marks_no_later_than_a_load_open_when_it_began(
        self, late_load: LateLoad
    ) -> None:
        """The build that began while a load was open marks the load's start."""
        assert all(since <= late_load.stamped_at for since in late_load.marks_during.values())


class TestLateCommit:
    def test_a_bar_committed_after_a_build_began_is_built_by_the_next(
        self, late_load: LateLoad
    ) -> None:
        """Not visible to the build it overlapped; built by the next, in int and the marts."""
        bar_id = f"{late_load.bar.ticker}|{late_load.bar.trading_date.isoformat()}"

        during = {r["bar_id"] for r in late_load.built_during.marts["fct_moving_averages"]}
        after = {
            mart: bar_id in {r["bar_id"] for r in late_load.built_after.marts[mart]}
            for mart in ("fct_adjusted_bars", "fct_moving_averages", "fct_rolling_volatility")
        }

        assert bar_id not in during
        assert {mart: True for mart in after} == after

    def test_the_incremental_result_equals_a_full_refresh(self, late_load: LateLoad) -> None:
        """The marts after the late bar's incremental build equal a full refresh."""
        expected = {m: approx_rows(rows) for m, rows in late_load.full_refresh.marts.items()}

        actual = {m: plain_rows(rows) for m, rows in late_load.built_after.marts.items()}

        assert expected == actual
