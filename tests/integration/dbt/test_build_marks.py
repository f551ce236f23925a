"""Incremental builds read the rows loaded since their previous build began (its mark): a bulk
load built once is not read again, and a load whose transaction was open while a build began
(its rows stamped before the build, committed after) is still built by the next one. Views are
created again only when their SQL changed."""

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


VIEWS = (
    "staging.stg_polygon__stock_bars_daily",
    "staging.stg_polygon__tickers",
    "marts.fct_adjusted_bars",
    "marts.fct_daily_returns",
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
    views_before: dict[str, int]  # each view's oid: a view created again gets a new one
    views_after: dict[str, int]  # after the build while the load was open and the next one
    views_refreshed: dict[str, int]  # after the full refresh


def marks(project: DbtProject) -> dict[str, dt.datetime]:
    """Each marked model's mark, by table (schema.name)."""
    rows = project.read("intermediate.dbt_model_marks")
    return {row["model"].split(".", 1)[1].replace('"', ""): row["visible_since"] for row in rows}


def view_oids(project: DbtProject) -> dict[str, int]:
    with project.connect() as conn, conn.cursor() as cur:
        cur.execute(
            "select v, to_regclass(v)::oid::bigint from unnest(%s::text[]) as v", (list(VIEWS),)
        )
        return dict(cur.fetchall())


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
    views_before = view_oids(project)
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
    views_after = view_oids(project)
    full_refresh = build(project, "--full-refresh")
    return LateLoad(
        bar,
        stamped_at,
        marks_during,
        during,
        after,
        full_refresh,
        views_before,
        views_after,
        view_oids(project),
    )


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


class TestViews:
    def test_an_incremental_build_leaves_unchanged_views_as_they_are(
        self, late_load: LateLoad
    ) -> None:
        """Two incremental builds later, every view is the one the first build created."""
        assert late_load.views_before == late_load.views_after

    def test_a_full_refresh_creates_every_view_again(self, late_load: LateLoad) -> None:
        """--full-refresh re-creates the views (and a view whose table was replaced is new)."""
        changed = {
            view: late_load.views_refreshed[view] != late_load.views_after[view] for view in VIEWS
        }

        assert {view: True for view in VIEWS} == changed

    def test_a_view_whose_sql_changed_is_created_again(
        self, marked_project: tuple[DbtProject, Build], late_load: LateLoad
    ) -> None:
        """A view whose stored signature differs (an older project version's SQL) is replaced
        by the next build, which stores the current signature."""
        project, _ = marked_project
        view = "staging.stg_polygon__tickers"
        with project.connect() as conn, conn.cursor() as cur:
            cur.execute(f"comment on view {view} is 'stocks_elt sql md5 of an older version'")
        before = view_oids(project)[view]

        build(project)

        with project.connect() as conn, conn.cursor() as cur:
            cur.execute("select obj_description(%s::regclass, 'pg_class')", (view,))
            comment = cur.fetchone()[0]
        assert before != view_oids(project)[view]
        assert comment.startswith("stocks_elt sql md5 ") and "older" not in comment
