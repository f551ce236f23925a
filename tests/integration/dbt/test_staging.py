"""Staging keeps one as-traded bar per (ticker, trading_date) and maps corporate actions 1:1."""

from __future__ import annotations

import pytest

from tests.integration.dbt.conftest import Build
from tests.integration.dbt.project import DbtProject
from tests.integration.dbt.raw_data import STALE_ADJUSTED_DAY, RawBar
from tests.integration.dbt.reference import bar_id, staged_bars

pytestmark = pytest.mark.integration


class TestAsTradedBarsOnly:
    def test_one_row_per_ticker_and_date(self, raw_bars: list[RawBar], first_build: Build) -> None:
        """Each (ticker, date) in raw appears exactly once in staging, keyed by bar_id."""
        expected = sorted({bar_id(b) for b in raw_bars})

        actual = sorted(row["bar_id"] for row in first_build.staging)

        assert expected == actual

    def test_adjusted_rows_of_old_warehouses_are_ignored(
        self, raw_bars: list[RawBar], first_build: Build
    ) -> None:
        """Where raw also holds an adjusted = true bar, staging carries the as-traded one."""
        as_traded = next(
            b
            for b in raw_bars
            if b.ticker == "BRK.A" and b.trading_date == STALE_ADJUSTED_DAY and not b.adjusted
        )
        expected = (as_traded.close, as_traded.high)

        row = next(r for r in first_build.staging if r["bar_id"] == bar_id(as_traded))
        actual = (row["close_price"], row["high_price"])

        assert expected == actual

    def test_tickers_kept_exactly_as_received(self, first_build: Build) -> None:
        """Class and preferred symbols (BRK.A, KIMpL) keep their dots and case."""
        expected = {"AAA", "BRK.A", "KIMpL"}

        actual = {row["ticker"] for row in first_build.staging}

        assert expected == actual

    def test_staging_matches_the_raw_values(
        self, raw_bars: list[RawBar], first_build: Build
    ) -> None:
        """Every staged bar carries the OHLCV of its as-traded raw bar."""
        expected = {
            key: (b.open, b.high, b.low, b.close, b.volume, b.source)
            for key, b in staged_bars(raw_bars).items()
        }

        actual = {
            r["bar_id"]: (
                r["open_price"],
                r["high_price"],
                r["low_price"],
                r["close_price"],
                r["volume"],
                r["source_endpoint"],
            )
            for r in first_build.staging
        }

        assert expected == actual


class TestCorporateActionsStaging:
    def test_splits_and_dividends_map_one_to_one(
        self, dbt_project: DbtProject, first_build: Build
    ) -> None:
        """Each raw split and dividend is one staging row under its Polygon id."""
        expected = (
            sorted(r["id"] for r in dbt_project.read("raw.stock_splits")),
            sorted(r["id"] for r in dbt_project.read("raw.stock_dividends")),
        )

        actual = (
            sorted(r["split_id"] for r in dbt_project.read("staging.stg_polygon__stock_splits")),
            sorted(
                r["dividend_id"] for r in dbt_project.read("staging.stg_polygon__stock_dividends")
            ),
        )

        assert expected == actual
