"""The transformer's pure core: counting dbt's run results, and how a run ends."""

from __future__ import annotations

from typing import Any

import pytest

from services.transformer.core import (
    DataTestResult,
    DbtOutcome,
    final_status,
    outcome_from_run_results,
    slowest_nodes,
)
from shared.messages import RunStatus

pytestmark = pytest.mark.unit


def result(unique_id: str, status: str) -> dict[str, Any]:
    """One entry of `results` in dbt 1.11's run_results.json (fields we do not read trimmed)."""
    return {
        "status": status,
        "timing": [
            {
                "name": "execute",
                "started_at": "2026-11-26T14:05:09.1Z",
                "completed_at": "2026-11-26T14:05:09.4Z",
            }
        ],
        "thread_id": "Thread-1 (worker)",
        "execution_time": 0.31,
        "adapter_response": {"_message": "SELECT 10", "code": "SELECT", "rows_affected": 10},
        "message": None if status in ("success", "pass") else f"{status} in node",
        "failures": 2 if status in ("fail", "warn") else 0,
        "unique_id": unique_id,
        "compiled": True,
        "relation_name": None,
    }


RUN_RESULTS: dict[str, Any] = {
    "metadata": {
        "dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json",
        "dbt_version": "1.11.16",
        "invocation_id": "0b4c",
    },
    "results": [
        result("model.stocks_elt.stg_polygon__stock_bars_daily", "success"),
        result("model.stocks_elt.stg_polygon__tickers", "success"),
        result("model.stocks_elt.fct_daily_returns", "success"),
        result("model.stocks_elt.fct_moving_averages", "error"),
        result("model.stocks_elt.fct_rolling_volatility", "skipped"),
        result("test.stocks_elt.unique_combination_of_columns_stg_bars.8a1f", "pass"),
        result("test.stocks_elt.not_null_dim_tickers_ticker.5b2c", "pass"),
        result("test.stocks_elt.expression_is_true_ohlc.77d0", "fail"),
        result("test.stocks_elt.max_days_between_bars.19e4", "warn"),
        result("test.stocks_elt.relationships_returns_tickers.c3d1", "error"),
        result("unit_test.stocks_elt.fct_daily_returns.first_day_has_no_return", "pass"),
        result("unit_test.stocks_elt.fct_moving_averages.window_of_five", "fail"),
        result("seed.stocks_elt.trading_holidays", "success"),
        result("source.stocks_elt.raw.stock_bars_daily", "pass"),
    ],
    "elapsed_time": 4.2,
    "args": {"which": "build"},
}


class TestOutcomeFromRunResults:
    def test_models_and_tests_are_counted_by_prefix_and_status(self) -> None:
        """model./seed. by success/error/skipped; test./unit_test. by pass/fail/error/warn;
        other nodes (a source freshness) are not counted."""
        outcome = outcome_from_run_results(RUN_RESULTS, exit_code=1)

        assert {
            "models_built": 4,
            "models_failed": 2,
            "tests_passed": 3,
            "tests_failed": 3,
            "tests_warned": 1,
        } == outcome.counts()

    def test_failed_nodes_are_named_in_order_warnings_are_not(self) -> None:
        """Every node that failed, errored or was skipped is named; a warning is not."""
        outcome = outcome_from_run_results(RUN_RESULTS, exit_code=1)

        assert [
            "model.stocks_elt.fct_moving_averages",
            "model.stocks_elt.fct_rolling_volatility",
            "test.stocks_elt.expression_is_true_ohlc.77d0",
            "test.stocks_elt.relationships_returns_tickers.c3d1",
            "unit_test.stocks_elt.fct_moving_averages.window_of_five",
        ] == outcome.failed_nodes

    @pytest.mark.parametrize(("exit_code", "ok"), [(0, True), (1, False), (2, False)])
    def test_ok_follows_dbts_exit_code(self, exit_code: int, ok: bool) -> None:
        """`ok` is dbt's own verdict: exit code 0."""
        assert ok == outcome_from_run_results(RUN_RESULTS, exit_code).ok

    def test_a_clean_build_counts_only_successes(self) -> None:
        """All models built and all tests passed: nothing failed, nothing named."""
        clean = {"results": [result("model.p.a", "success"), result("test.p.t", "pass")]}

        assert DbtOutcome(
            ok=True, models_built=1, tests_passed=1, tests=(DataTestResult("test.p.t", "pass", 0),)
        ) == outcome_from_run_results(clean, 0)

    def test_no_results_count_nothing(self) -> None:
        """An empty (or absent) results list is all zeros."""
        assert (DbtOutcome(ok=True), DbtOutcome(ok=True)) == (
            outcome_from_run_results({"results": []}, 0),
            outcome_from_run_results({}, 0),
        )


class TestSlowestNodes:
    def test_slowest_first_by_execution_time_with_short_names(self) -> None:
        timed = [
            {**result("model.p.int_bars", "success"), "execution_time": 1.5},
            {**result("test.p.ohlc_consistent.8a1f", "pass"), "execution_time": 0.2},
            {**result("model.p.fct_moving_averages", "success"), "execution_time": 2.75},
            {**result("model.p.stg_bars", "success"), "execution_time": None},
        ]

        assert [("fct_moving_averages", 2.75), ("int_bars", 1.5)] == slowest_nodes(
            {"results": timed}, n=2
        )

    def test_a_build_without_results_has_no_slowest(self) -> None:
        assert [] == slowest_nodes({})


class TestFinalStatus:
    @pytest.mark.parametrize(
        ("dbt", "tickers_failed", "expected"),
        [
            (DbtOutcome(ok=True, models_built=5, tests_passed=20), 0, (RunStatus.SUCCEEDED, None)),
            (
                DbtOutcome(ok=True, models_built=5, tests_passed=20, tests_warned=2),
                0,
                (RunStatus.SUCCEEDED, None),
            ),
            (
                DbtOutcome(
                    ok=False,
                    models_built=3,
                    models_failed=2,
                    failed_nodes=["model.p.a", "model.p.b"],
                ),
                0,
                (RunStatus.FAILED, "dbt: 2 models failed"),
            ),
            (
                DbtOutcome(ok=False, models_built=3, models_failed=1, tests_failed=4),
                7,
                (RunStatus.FAILED, "dbt: 1 models failed"),
            ),
            (
                DbtOutcome(ok=False, error="dbt build ran over 3600 s"),
                0,
                (RunStatus.FAILED, "dbt build ran over 3600 s"),
            ),
            (
                DbtOutcome(ok=True, models_built=5, tests_passed=20),
                3,
                (RunStatus.SUCCEEDED_WITH_ERRORS, "3 tickers failed"),
            ),
            (
                DbtOutcome(
                    ok=False, models_built=5, tests_failed=1, failed_nodes=["test.p.ohlc_sane"]
                ),
                0,
                (RunStatus.SUCCEEDED_WITH_ERRORS, "1 dbt tests failed: test.p.ohlc_sane"),
            ),
            (
                DbtOutcome(
                    ok=False,
                    models_built=5,
                    tests_failed=2,
                    failed_nodes=["test.p.a", "unit_test.p.m.b"],
                ),
                2,
                (
                    RunStatus.SUCCEEDED_WITH_ERRORS,
                    "2 tickers failed; 2 dbt tests failed: test.p.a, unit_test.p.m.b",
                ),
            ),
        ],
        ids=[
            "all-good",
            "warnings-only",
            "models-failed",
            "models-failed-beat-the-rest",
            "dbt-did-not-run",
            "tickers-failed",
            "tests-failed",
            "tickers-and-tests-failed",
        ],
    )
    def test_how_a_run_ends(
        self, dbt: DbtOutcome, tickers_failed: int, expected: tuple[RunStatus, str | None]
    ) -> None:
        """Failed models fail the run; failed tickers or tests end it with errors, named;
        otherwise it succeeded."""
        assert expected == final_status(dbt, tickers_failed)

    def test_at_most_ten_failed_tests_are_named(self) -> None:
        """The reason stays short: ten names, however many tests failed."""
        nodes = [f"test.p.t{i:02d}" for i in range(25)]

        _, reason = final_status(DbtOutcome(ok=False, tests_failed=25, failed_nodes=nodes), 0)

        assert ", ".join(nodes[:10]) == (reason or "").split(": ", 1)[1]

    def test_a_realistic_run_results_file_with_failed_models_fails_the_run(self) -> None:
        """From run_results.json to the run's end: a model error fails it."""
        outcome = outcome_from_run_results(RUN_RESULTS, exit_code=1)

        assert (RunStatus.FAILED, "dbt: 2 models failed") == final_status(outcome, 0)
