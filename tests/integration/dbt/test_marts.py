"""The market marts equal a plain-Python recomputation, and rebuilding changes nothing."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import pytest

from tests.integration.dbt.comparing import approx_rows, plain_rows
from tests.integration.dbt.conftest import Build
from tests.integration.dbt.project import TAILED_MARTS, Rows
from tests.integration.dbt.raw_data import (
    AAA_GAP,
    AAA_SPLIT_DAY,
    RAW_TICKERS,
    Dividend,
    RawBar,
    Split,
)
from tests.integration.dbt.reference import market_marts, series_by_ticker

pytestmark = pytest.mark.integration


Flat = dict[tuple[str, str], float | None]
MART_COLUMNS = {
    "fct_adjusted_bars": [
        "adj_open", "adj_high", "adj_low", "adj_close", "adj_volume", "tr_close",
        "split_factor", "dividend_factor",
    ],
    "fct_daily_returns": ["simple_return", "log_return", "total_return"],
    "fct_moving_averages": ["sma_20", "sma_50", "sma_200", "ema_12", "ema_26"],
    "fct_rolling_volatility": ["annualized_volatility_20d"],
}  # fmt: skip


def computed(build: Build, mart: str, columns: list[str]) -> Flat:
    return {(row["bar_id"], c): row[c] for row in build.marts[mart] for c in columns}


def flatten(per_bar: dict[str, dict[str, float | None]]) -> Flat:
    return {(key, c): value for key, row in per_bar.items() for c, value in row.items()}


def nulls(values: Flat) -> dict[tuple[str, str], bool]:
    return {key: value is None for key, value in values.items()}


def numbers(values: Flat) -> dict[tuple[str, str], float]:
    return {key: value for key, value in values.items() if value is not None}


class TestMartsMatchPythonRecomputation:
    @pytest.mark.parametrize(("mart", "columns"), list(MART_COLUMNS.items()))
    def test_mart_equals_reference(
        self,
        raw_bars: list[RawBar],
        splits: list[Split],
        dividends: list[Dividend],
        first_build: Build,
        mart: str,
        columns: list[str],
    ) -> None:
        """Each computed column is null where the reference's is, else equal to rounding."""
        known = {t[0] for t in RAW_TICKERS}
        expected = flatten(market_marts(raw_bars, splits, dividends, known)[mart])

        actual = computed(first_build, mart, columns)

        assert nulls(expected) == nulls(actual)
        assert numbers(expected) == pytest.approx(numbers(actual), rel=1e-9, abs=1e-12)

    def test_split_day_return_is_the_economic_move(
        self, raw_bars: list[RawBar], first_build: Build
    ) -> None:
        """On AAA's 2-for-1 execution date the adjusted return is the as-traded move on one
        basis (close / (previous close / 2) - 1), not the as-traded halving."""
        aaa = series_by_ticker(raw_bars)["AAA"]
        i = next(i for i, b in enumerate(aaa) if b.trading_date == AAA_SPLIT_DAY)
        expected = pytest.approx(aaa[i].close / (aaa[i - 1].close / 2) - 1, rel=1e-12)

        row = next(
            r
            for r in first_build.marts["fct_daily_returns"]
            if r["bar_id"] == f"AAA|{AAA_SPLIT_DAY.isoformat()}"
        )
        actual = row["simple_return"]

        assert expected == actual
        assert abs(actual) < 0.2

    def test_long_windows_are_filled_where_the_series_is_long_enough(
        self, first_build: Build
    ) -> None:
        """AAA (235 bars) gets SMA 200 from its 200th bar on; shorter tickers never do."""
        expected = {"AAA": 235 - 199, "BRK.A": 0, "KIMpL": 0}

        actual = {t: 0 for t in expected}
        for row in first_build.marts["fct_moving_averages"]:
            actual[row["ticker"]] += row["sma_200"] is not None

        assert expected == actual

    def test_return_after_a_gap_uses_the_previous_available_bar(self, first_build: Build) -> None:
        """The first AAA bar after the missing days measures from the last bar before them."""
        expected = min(AAA_GAP) - dt.timedelta(days=3)  # the Friday before the gap

        after_gap = f"AAA|{(max(AAA_GAP) + dt.timedelta(days=3)).isoformat()}"
        row = next(r for r in first_build.marts["fct_daily_returns"] if r["bar_id"] == after_gap)
        actual = row["previous_trading_date"]

        assert expected == actual


class TestIdempotentRebuild:
    def test_second_build_changes_no_mart_row(
        self, first_build: Build, second_build: Build
    ) -> None:
        """Building again over the same raw rows leaves every mart exactly as it was."""
        expected = first_build.marts

        actual = second_build.marts

        assert expected == actual


class TestIncrementalBuild:
    def test_incremental_build_equals_full_refresh(
        self, incremental_and_full_refresh: tuple[Build, Build]
    ) -> None:
        """After new and re-pulled raw bars, the incremental marts equal a full rebuild."""
        incremental, full_refresh = incremental_and_full_refresh
        expected = {m: approx_rows(rows) for m, rows in full_refresh.marts.items()}

        actual = {m: plain_rows(rows) for m, rows in incremental.marts.items()}

        assert expected == actual

    def test_incremental_build_picks_up_new_and_repulled_bars(
        self, second_build: Build, incremental_and_full_refresh: tuple[Build, Build]
    ) -> None:
        """The new AAA day is added, and the re-pulled KIMpL bar changes its returns."""
        incremental, _ = incremental_and_full_refresh
        before = {r["bar_id"]: r for r in second_build.marts["fct_daily_returns"]}
        after = {r["bar_id"]: r for r in incremental.marts["fct_daily_returns"]}
        expected = (1, {"KIMpL"})

        changed = {after[k]["ticker"] for k in before if before[k] != after[k]}
        actual = (len(after) - len(before), changed)

        assert expected == actual


def tails_of(marts: dict[str, Rows]) -> dict[str, dict[str, dict[str, Any]]]:
    """Each tailed mart's tail as its rows say it should be, by ticker: the last bar's number,
    date and kept columns, and the arrays of the last `length` bars, oldest first."""
    tails: dict[str, dict[str, dict[str, Any]]] = {}
    for mart, (length, arrays, scalars) in TAILED_MARTS.items():
        series: dict[str, Rows] = defaultdict(list)
        for row in marts[mart]:
            series[row["ticker"]].append(row)
        tails[mart] = {}
        for ticker, bars in series.items():
            bars.sort(key=lambda bar: bar["bar_number"])
            last = bars[-1]
            tails[mart][ticker] = {
                "ticker": ticker,
                "last_bar_number": last["bar_number"],
                "last_trading_date": last["trading_date"],
                **{column: [bar[column] for bar in bars[-length:]] for column in arrays},
                **{column: last[column] for column in scalars},
            }
    return tails


def by_ticker(tails: dict[str, Rows]) -> dict[str, dict[str, dict[str, Any]]]:
    return {mart: {row["ticker"]: row for row in rows} for mart, rows in tails.items()}


class TestSeriesTails:
    """The tail an incremental build continues from holds the mart's own last values, exactly:
    after a full build (refilled from the mart), after a build that wrote nothing, and after one
    that appended a bar (AAA) and rebuilt a ticker whose tail was past its first new bar
    (KIMpL's re-pulled bar)."""

    def test_the_tails_hold_the_marts_last_bars(
        self,
        first_build: Build,
        second_build: Build,
        incremental_and_full_refresh: tuple[Build, Build],
    ) -> None:
        builds = {"first": first_build, "second": second_build}
        builds["incremental"], builds["full refresh"] = incremental_and_full_refresh
        expected = {name: tails_of(build.marts) for name, build in builds.items()}

        actual = {name: by_ticker(build.tails) for name, build in builds.items()}

        assert expected == actual
