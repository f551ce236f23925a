"""A throwaway database with hand-made raw rows, and the dbt builds the dbt tests share.

The builds run once per session, in this order: first build, an identical second build, new raw
rows with an incremental build and a full refresh, then a new split for one ticker with an
incremental build and a full refresh, then a new dividend for another the same way. Each
fixture keeps a snapshot of what it built, so a test reads the state of its step whatever ran
before it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from testbed.names import unique_db
from testbed.stack import Stack
from tests.integration.dbt.project import DbtProject, Invocation, Rows, connect
from tests.integration.dbt.raw_data import (
    Dividend,
    RawBar,
    Split,
    build_dividends,
    build_raw_bars,
    build_splits,
)
from tests.integration.dbt.writers import create_raw, insert_bars, insert_dividends, insert_splits

# BRK.A's new split (a vendor correction found a 3-for-1 split): after its raw bars end
BRK_NEW_SPLIT = Split("E-BRK-NEW", "BRK.A", dt.date(2023, 2, 1), 1.0, 3.0)
# AAA's new dividend (a special one, found late): within its history, after its split
AAA_NEW_DIVIDEND = Dividend("E-AAA-NEW", "AAA", dt.date(2023, 10, 2), 1.25)


@dataclass(frozen=True)
class Build:
    """A dbt build and what the database held right after it."""

    invocation: Invocation
    staging: Rows
    marts: dict[str, Rows]
    tails: dict[str, Rows]
    factors: Rows


def build(project: DbtProject, *args: str) -> Build:
    invocation = project.invoke("build", *args)
    assert invocation.returncode == 0, invocation.output[-5000:]
    return Build(
        invocation,
        project.read("staging.stg_polygon__stock_bars_daily"),
        project.read_marts(),
        project.read_tails(),
        project.read_factors(),
    )


@pytest.fixture(scope="session")
def raw_bars() -> list[RawBar]:
    return build_raw_bars()


@pytest.fixture(scope="session")
def splits() -> list[Split]:
    return build_splits()


@pytest.fixture(scope="session")
def dividends(raw_bars: list[RawBar]) -> list[Dividend]:
    return build_dividends(raw_bars)


@pytest.fixture(scope="session")
def throwaway_project(
    stack: Stack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Iterator[DbtProject]]:
    """A factory of fresh databases with the migrations applied; each dropped at the end."""
    created: list[str] = []

    def projects() -> Iterator[DbtProject]:
        while True:
            database = unique_db("stocks_dbt_test")
            with connect(stack, "postgres") as admin, admin.cursor() as cur:
                cur.execute(f'create database "{database}"')
            created.append(database)
            yield DbtProject(stack, database, Path(tmp_path_factory.mktemp("dbt")))

    try:
        yield projects()
    finally:
        for database in created:
            with connect(stack, "postgres") as admin, admin.cursor() as cur:
                cur.execute(f'drop database if exists "{database}" with (force)')


@pytest.fixture(scope="session")
def dbt_project(
    throwaway_project: Iterator[DbtProject],
    raw_bars: list[RawBar],
    splits: list[Split],
    dividends: list[Dividend],
) -> DbtProject:
    """A fresh database with the migrations and every raw row in it."""
    project = next(throwaway_project)
    create_raw(project, raw_bars, splits, dividends)
    return project


@pytest.fixture
def own_project(
    throwaway_project: Iterator[DbtProject],
    raw_bars: list[RawBar],
    splits: list[Split],
    dividends: list[Dividend],
) -> DbtProject:
    """A database of the test's own with every raw row, for a test that alters what a build
    stored (the shared one's builds must not see it)."""
    project = next(throwaway_project)
    create_raw(project, raw_bars, splits, dividends)
    return project


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
    kim = [b for b in raw_bars if b.ticker == "KIMpL"][5]
    repulled = replace(kim, close=kim.close * 0.98, low=kim.low * 0.95)
    insert_bars(dbt_project, [new_day, repulled])
    incremental = build(dbt_project)
    full_refresh = build(dbt_project, "--full-refresh")
    return incremental, full_refresh


@dataclass(frozen=True)
class ActionRebuild:
    """Row versions (xmin) of every per-bar table's rows before and after a build that saw a new
    corporate action; that build, and a full refresh after it."""

    before: dict[str, dict[str, str]]
    after: dict[str, dict[str, str]]
    incremental: Build
    full_refresh: Build


@pytest.fixture(scope="session")
def new_split_rebuild(
    dbt_project: DbtProject, incremental_and_full_refresh: tuple[Build, Build]
) -> ActionRebuild:
    """A split for BRK.A loaded after the last build: an incremental build, then a full refresh."""
    before = dbt_project.row_versions()
    insert_splits(dbt_project, [BRK_NEW_SPLIT])
    incremental = build(dbt_project)
    after = dbt_project.row_versions()
    return ActionRebuild(before, after, incremental, build(dbt_project, "--full-refresh"))


@pytest.fixture(scope="session")
def new_dividend_rebuild(
    dbt_project: DbtProject, new_split_rebuild: ActionRebuild
) -> ActionRebuild:
    """A dividend for AAA loaded after the last build: an incremental build, then a full
    refresh."""
    before = dbt_project.row_versions()
    insert_dividends(dbt_project, [AAA_NEW_DIVIDEND])
    incremental = build(dbt_project)
    after = dbt_project.row_versions()
    return ActionRebuild(before, after, incremental, build(dbt_project, "--full-refresh"))


def next_weekday(day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


@dataclass(frozen=True)
class DailyDividend:
    """AAA's next trading day loaded with a dividend whose ex-date it is (a daily run), then a
    full refresh; `day` is that date."""

    day: dt.date
    rebuild: ActionRebuild


@pytest.fixture(scope="session")
def daily_dividend(
    dbt_project: DbtProject, raw_bars: list[RawBar], new_dividend_rebuild: ActionRebuild
) -> DailyDividend:
    last_day = max(
        r["trading_date"]
        for r in new_dividend_rebuild.full_refresh.marts["fct_adjusted_bars"]
        if r["ticker"] == "AAA"
    )
    last = [b for b in raw_bars if b.ticker == "AAA"][-1]
    day = next_weekday(last_day)
    bar = replace(last, trading_date=day, open=last.close, close=last.close * 0.99)
    before = dbt_project.row_versions()
    insert_bars(dbt_project, [bar])
    insert_dividends(dbt_project, [Dividend("E-AAA-DAILY", "AAA", day, 0.4)])
    incremental = build(dbt_project)
    after = dbt_project.row_versions()
    rebuild = ActionRebuild(before, after, incremental, build(dbt_project, "--full-refresh"))
    return DailyDividend(day, rebuild)


@pytest.fixture(scope="session")
def moved_dividend(dbt_project: DbtProject, daily_dividend: DailyDividend) -> ActionRebuild:
    """AAA's dividend within its history (AAA_NEW_DIVIDEND) moved past its last bar: a vendor
    correction that leaves the history, so no changed ex-date falls on a built bar."""
    before = dbt_project.row_versions()
    later = next_weekday(next_weekday(daily_dividend.day))
    insert_dividends(dbt_project, [replace(AAA_NEW_DIVIDEND, ex_dividend_date=later)])
    incremental = build(dbt_project)
    after = dbt_project.row_versions()
    return ActionRebuild(before, after, incremental, build(dbt_project, "--full-refresh"))


@pytest.fixture(scope="session")
def splits_to_another_ticker(
    dbt_project: DbtProject, splits: list[Split], moved_dividend: ActionRebuild
) -> ActionRebuild:
    """Two rejected splits moved to a new ticker, NOBODY2 (a vendor correction): NOBODY's only
    event, so NOBODY has none left, and KIMpL's split, so KIMpL keeps its dividends; an
    incremental build, then a full refresh. Both are moved back and built after, so the
    project's later tests see the data they were written for."""
    moving = [s for s in splits if s.id in ("E-NOBODY-SPLIT", "E-KIM-ZERO")]
    assert {s.ticker for s in moving} == {"NOBODY", "KIMpL"}
    before = dbt_project.row_versions()
    insert_splits(dbt_project, [replace(s, ticker="NOBODY2") for s in moving])
    incremental = build(dbt_project)
    after = dbt_project.row_versions()
    rebuild = ActionRebuild(before, after, incremental, build(dbt_project, "--full-refresh"))
    insert_splits(dbt_project, moving)
    build(dbt_project)
    return rebuild
