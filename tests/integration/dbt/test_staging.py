"""Staging keeps one bar per (ticker, trading_date), preferring the split-adjusted one."""

from __future__ import annotations

import pytest

from tests.integration.dbt.conftest import Build
from tests.integration.dbt.raw_data import BRK_BOTH_BASES_DAY, KIMPL_UNADJUSTED_DAYS, RawBar
from tests.integration.dbt.reference import bar_id, staged_bars

pytestmark = pytest.mark.integration


class TestOneBarPerTickerDay:
    def test_one_row_per_ticker_and_date(self, raw_bars: list[RawBar], first_build: Build) -> None:
        """Each (ticker, date) in raw appears exactly once in staging, keyed by bar_id."""
        expected = sorted({bar_id(b) for b in raw_bars})

        actual = sorted(row["bar_id"] for row in first_build.staging)

        assert expected == actual

    def test_adjusted_bar_chosen_when_both_exist(
        self, raw_bars: list[RawBar], first_build: Build
    ) -> None:
        """Where raw has both bases for a day, staging carries the adjusted bar's prices."""
        adjusted = next(
            b
            for b in raw_bars
            if b.ticker == "BRK.A" and b.trading_date == BRK_BOTH_BASES_DAY and b.adjusted
        )
        expected = (True, adjusted.close, adjusted.open)

        row = next(r for r in first_build.staging if r["bar_id"] == bar_id(adjusted))
        actual = (row["is_split_adjusted"], row["close_price"], row["open_price"])

        assert expected == actual

    def test_unadjusted_bar_kept_when_alone(self, first_build: Build) -> None:
        """Days with only an unadjusted bar keep it, flagged as not split-adjusted."""
        expected = [False] * KIMPL_UNADJUSTED_DAYS + [True] * (25 - KIMPL_UNADJUSTED_DAYS)

        kim = sorted(
            (r for r in first_build.staging if r["ticker"] == "KIMpL"),
            key=lambda r: r["trading_date"],
        )
        actual = [r["is_split_adjusted"] for r in kim]

        assert expected == actual

    def test_tickers_kept_exactly_as_received(self, first_build: Build) -> None:
        """Class and preferred symbols (BRK.A, KIMpL) keep their dots and case."""
        expected = {"AAA", "BRK.A", "KIMpL"}

        actual = {row["ticker"] for row in first_build.staging}

        assert expected == actual

    def test_staging_matches_the_chosen_raw_values(
        self, raw_bars: list[RawBar], first_build: Build
    ) -> None:
        """Every staged bar carries the OHLCV of the raw bar the reference picks."""
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
