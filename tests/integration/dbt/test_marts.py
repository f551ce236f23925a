"""The market marts equal a plain-Python recomputation, and rebuilding changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.integration.dbt.conftest import Build
from tests.integration.dbt.raw_data import AAA_GAP, RawBar
from tests.integration.dbt.reference import market_marts

pytestmark = pytest.mark.integration


Flat = dict[tuple[str, str], float | None]


def computed(build: Build, mart: str, columns: list[str]) -> Flat:
    return {(row["bar_id"], c): row[c] for row in build.marts[mart] for c in columns}


def flatten(per_bar: dict[str, dict[str, float | None]]) -> Flat:
    return {(key, c): value for key, row in per_bar.items() for c, value in row.items()}


def nulls(values: Flat) -> dict[tuple[str, str], bool]:
    return {key: value is None for key, value in values.items()}


def numbers(values: Flat) -> dict[tuple[str, str], float]:
    return {key: value for key, value in values.items() if value is not None}


class TestMartsMatchPythonRecomputation:
    @pytest.mark.parametrize(
        ("mart", "columns"),
        [
            ("fct_daily_returns", ["simple_return", "log_return"]),
            ("fct_moving_averages", ["sma_20", "sma_50", "sma_200", "ema_12", "ema_26"]),
            ("fct_rolling_volatility", ["annualized_volatility_20d"]),
        ],
    )
    def test_mart_equals_reference(
        self, raw_bars: list[RawBar], first_build: Build, mart: str, columns: list[str]
    ) -> None:
        """Each computed column is null where the reference's is, else equal to rounding."""
        expected = flatten(market_marts(raw_bars)[mart])

        actual = computed(first_build, mart, columns)

        assert nulls(expected) == nulls(actual)
        assert numbers(expected) == pytest.approx(numbers(actual), rel=1e-9, abs=1e-12)

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
        expected = full_refresh.marts

        actual = incremental.marts

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
