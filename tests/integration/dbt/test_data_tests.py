"""dbt's own tests: the unit tests pass, and a bad bar fails exactly the test that guards it."""

from __future__ import annotations

import pytest

from tests.integration.dbt.conftest import Build
from tests.integration.dbt.project import DbtProject
from tests.integration.dbt.raw_data import bad_bar
from tests.integration.dbt.writers import insert_bars

pytestmark = pytest.mark.integration

OHLC_TEST = "stg_polygon__stock_bars_daily_ohlc_consistent"
# warns while the raw rows hold rejected corporate actions (they do, on purpose)
REJECTED_WARN_TEST = "fct_rejected_corporate_actions_none"


UNIT_TESTS = [
    "test_int_corporate_actions_validated_factor_math_and_rejects",
    "test_int_adjustment_factors_splits_backward_dividends_forward",
    "test_int_stock_bars_adjusted_split_day_and_total_return",
    "test_int_stock_bars_adjusted_returns_span_gaps_and_start_null",
    "test_fct_moving_averages_null_until_full_and_sma_seeded_ema",
    "test_fct_moving_averages_incremental_continues_the_stored_ema",
    "test_fct_rolling_volatility_null_until_window_of_returns",
]


class TestFirstBuild:
    def test_every_node_succeeds(self, first_build: Build) -> None:
        """On the raw rows every model, data test and unit test succeeds; only the rejected
        corporate actions warn."""
        expected = {REJECTED_WARN_TEST: "warn"}

        actual = {
            uid.split(".")[2]: status
            for uid, status in first_build.invocation.statuses.items()
            if status not in ("success", "pass")
        }

        assert expected == actual

    def test_unit_tests_pass(self, first_build: Build) -> None:
        """The hand-computed dbt unit tests (factors, adjustment, returns, SMA, EMA, volatility)
        all pass."""
        expected = dict.fromkeys(UNIT_TESTS, "pass")

        actual = {
            uid.split(".")[-1]: status
            for uid, status in first_build.invocation.statuses.items()
            if uid.startswith("unit_test.")
        }

        assert expected == actual


class TestBadBarFailsItsTest:
    def test_low_above_open_fails_naming_only_low_le_open(
        self, dbt_project: DbtProject, first_build: Build
    ) -> None:
        """A new raw bar with low > open fails the staging OHLC test (which checks the bars
        loaded since the last build) with that one bar, whose stored failing row names low <=
        open and no other rule."""
        expected = (1, "fail", [("BAD", ["low_le_open"])])

        insert_bars(dbt_project, [bad_bar()])
        try:
            invocation = dbt_project.invoke("test", "--select", "stg_polygon__stock_bars_daily")
            failing = [
                (row["ticker"], row["broken_rules"])
                for row in dbt_project.read(f"dbt_test__audit.{OHLC_TEST}")
            ]
        finally:
            with dbt_project.connect() as conn, conn.cursor() as cur:
                cur.execute("delete from raw.stock_bars_daily where ticker = 'BAD'")
        actual = (invocation.returncode, invocation.status_of(OHLC_TEST), failing)

        assert expected == actual
