"""Data quality: every dbt test of a build kept with its status, failures and message; the run's
results stored with its end; one alert per failed, errored or warned test on the alerts topic."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker

from services.transformer.core import (
    MAX_MESSAGE,
    DataTestResult,
    DbtOutcome,
    alerts,
    final_status,
    outcome_from_run_results,
)
from services.transformer.handlers import build_router
from services.transformer.service import Transformer
from shared.messages import BatchLoaded, DataTestFailed, RunStatus, topics
from tests.fakes.kafka import INSTANT_RETRIES, TopicRecorder
from tests.fakes.transformer import FakeControlRepository, FakeDbtRunner

pytestmark = pytest.mark.unit

LOW_LE_HIGH = "test.stocks_elt.stg_polygon__stock_bars_daily_low_le_high"
GAPS = "test.stocks_elt.stg_polygon__stock_bars_daily_no_missing_trading_days"
RELATIONSHIPS = "test.stocks_elt.relationships_fct_daily_returns_ticker__ticker.3f1b"
UNIQUE = "test.stocks_elt.unique_dim_tickers_ticker.9c2e"
UNIT = "unit_test.stocks_elt.fct_daily_returns.test_fct_daily_returns_span_gaps"
SQL_ERROR = 'Database Error in test x\n  column "hi" does not exist'


def node(unique_id: str, status: str, failures: int | None, message: str | None) -> dict[str, Any]:
    """One entry of `results` in dbt 1.11's run_results.json, as `dbt build` writes it."""
    return {
        "status": status,
        "timing": [],
        "thread_id": "Thread-1",
        "execution_time": 0.05,
        "adapter_response": {},
        "message": message,
        "failures": failures,
        "unique_id": unique_id,
        "compiled": True,
        "relation_name": None,
    }


RUN_RESULTS: dict[str, Any] = {
    "results": [
        node("model.stocks_elt.stg_polygon__stock_bars_daily", "success", None, "CREATE VIEW"),
        node(UNIQUE, "pass", 0, None),
        node(LOW_LE_HIGH, "fail", 1, "Got 1 result, configured to fail if != 0"),
        node(GAPS, "warn", 3, "Got 3 results, configured to warn if != 0"),
        node(RELATIONSHIPS, "error", None, SQL_ERROR),
        node(UNIT, "pass", 0, None),
        node("test.stocks_elt.not_null_fct_moving_averages_bar_id.1a", "skipped", None, None),
        node("source.stocks_elt.polygon.stock_bars_daily", "pass", None, None),
    ],
}


class TestTestResultsFromRunResults:
    def test_every_test_node_is_kept_in_order_with_failures_and_message(self) -> None:
        """Data tests and unit tests, whatever their status; models and sources are not tests."""
        expected = (
            DataTestResult(UNIQUE, "pass", 0, None),
            DataTestResult(LOW_LE_HIGH, "fail", 1, "Got 1 result, configured to fail if != 0"),
            DataTestResult(GAPS, "warn", 3, "Got 3 results, configured to warn if != 0"),
            DataTestResult(RELATIONSHIPS, "error", None, SQL_ERROR),
            DataTestResult(UNIT, "pass", 0, None),
            DataTestResult("test.stocks_elt.not_null_fct_moving_averages_bar_id.1a", "skipped"),
        )

        assert expected == outcome_from_run_results(RUN_RESULTS, exit_code=1).tests

    def test_a_long_error_message_is_cut(self) -> None:
        """An errored test's message (the SQL error) is kept to MAX_MESSAGE characters."""
        long = {"results": [node(RELATIONSHIPS, "error", None, "x" * (MAX_MESSAGE + 500))]}

        [result] = outcome_from_run_results(long, exit_code=1).tests

        assert MAX_MESSAGE == len(result.message or "")

    def test_the_counts_and_failed_nodes_are_unchanged(self) -> None:
        """Failed and errored tests count as failed and are named (with the skipped one); the
        warning is counted apart and not named."""
        outcome = outcome_from_run_results(RUN_RESULTS, exit_code=1)

        assert (2, 2, 1) == (outcome.tests_passed, outcome.tests_failed, outcome.tests_warned)
        assert [
            LOW_LE_HIGH,
            RELATIONSHIPS,
            "test.stocks_elt.not_null_fct_moving_averages_bar_id.1a",
        ] == outcome.failed_nodes


def blocked_build() -> dict[str, Any]:
    """`dbt build` after a staging test failed: the marts downstream were skipped, not errored."""
    return {
        "results": [
            node("model.stocks_elt.stg_polygon__stock_bars_daily", "success", None, "CREATE VIEW"),
            node(LOW_LE_HIGH, "fail", 1, "Got 1 result, configured to fail if != 0"),
            node(GAPS, "warn", 3, "Got 3 results, configured to warn if != 0"),
            node("model.stocks_elt.fct_daily_returns", "skipped", None, "SKIP"),
            node("model.stocks_elt.fct_moving_averages", "skipped", None, "SKIP"),
            node("test.stocks_elt.not_null_fct_moving_averages_bar_id.1a", "skipped", None, None),
        ]
    }


class TestFinalStatusWithFailedTests:
    def test_models_skipped_behind_a_failed_test_end_the_run_with_errors(self) -> None:
        """The failed test held the marts back (they keep their last build): with errors,
        naming the failed test (not the skipped nodes) and counting the skipped models."""
        outcome = outcome_from_run_results(blocked_build(), exit_code=1)

        assert (
            RunStatus.SUCCEEDED_WITH_ERRORS,
            f"1 dbt tests failed: {LOW_LE_HIGH}; 2 models skipped after the failed tests",
        ) == final_status(outcome, 0)

    def test_a_model_error_still_fails_the_run(self) -> None:
        """One errored model among the skipped ones: the run failed."""
        results = blocked_build()
        results["results"].append(node("model.stocks_elt.dim_tickers", "error", None, "boom"))

        assert (RunStatus.FAILED, "dbt: 3 models failed") == final_status(
            outcome_from_run_results(results, exit_code=1), 0
        )

    def test_skipped_models_without_a_failed_test_fail_the_run(self) -> None:
        """Nothing explains the skip (dbt's fail-fast, say): the models were not built."""
        outcome = DbtOutcome(ok=False, models_built=1, models_failed=2, models_skipped=2)

        assert (RunStatus.FAILED, "dbt: 2 models failed") == final_status(outcome, 0)

    def test_the_skipped_count_is_stored_with_dbts_result(self) -> None:
        """control.runs.dbt_result keeps models_skipped; the event counts are unchanged."""
        outcome = outcome_from_run_results(blocked_build(), exit_code=1)

        assert (2, 2, False) == (
            outcome.as_json()["models_skipped"],
            outcome.counts()["models_failed"],
            "models_skipped" in outcome.counts(),
        )


class TestAlerts:
    def test_one_alert_per_failed_errored_or_warned_test(self) -> None:
        """pass and skipped raise no alert; warn is severity warn, fail and error are error."""
        outcome = outcome_from_run_results(RUN_RESULTS, exit_code=1)

        assert [
            (LOW_LE_HIGH, "fail", "error", 1),
            (GAPS, "warn", "warn", 3),
            (RELATIONSHIPS, "error", "error", None),
        ] == [(a.unique_id, a.status, a.severity, a.failures) for a in alerts("r1", outcome)]

    def test_message_ids_are_deterministic(self) -> None:
        """The same run's same test always gives the same id: `<run_id>/<unique_id>`."""
        outcome = outcome_from_run_results(RUN_RESULTS, exit_code=1)

        first = [a.message_id for a in alerts("r1", outcome)]

        assert [f"r1/{LOW_LE_HIGH}", f"r1/{GAPS}", f"r1/{RELATIONSHIPS}"] == first
        assert first == [a.message_id for a in alerts("r1", outcome)]

    def test_a_clean_build_raises_none(self) -> None:
        """All tests passed: nothing to announce."""
        assert [] == alerts("r1", DbtOutcome(ok=True, tests=(DataTestResult(UNIQUE, "pass", 0),)))


# --- the service over fakes, on the in-memory broker ---------------------------------------------

BATCHES = ["tickers", "b00000"]


def loaded(batch_id: str) -> BatchLoaded:
    return BatchLoaded(
        run_id="r1",
        message_id=f"r1/{batch_id}/loaded",
        batch_id=batch_id,
        object_key=f"raw/polygon/r1/{batch_id}.jsonl",
        bars_loaded=1,
        tickers_failed=0,
    )


@dataclass
class Rig:
    broker: KafkaBroker
    repo: FakeControlRepository
    alerts: TopicRecorder
    events: TopicRecorder
    service: Transformer

    async def deliver(self, batch_id: str) -> None:
        await self.broker.publish(
            loaded(batch_id), topic=topics.BATCH_LOADED, key=f"r1/{batch_id}".encode()
        )
        await self.service.idle()


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    broker, repo = KafkaBroker(), FakeControlRepository()
    repo.add_run("r1", BATCHES, total_batches=len(BATCHES))
    dbt = FakeDbtRunner(outcome_from_run_results(RUN_RESULTS, exit_code=1))
    service = Transformer(repo, dbt, broker, 3600)
    broker.include_router(build_router(broker, service, INSTANT_RETRIES))
    alerts, events = TopicRecorder(broker, topics.ALERTS), TopicRecorder(broker, topics.RUN_EVENTS)
    rig = Rig(broker, repo, alerts, events, service)
    async with TestKafkaBroker(broker), service.running():
        yield rig


class TestRunEndWithFailingTests:
    async def test_the_results_are_stored_with_the_runs_end(self, rig: Rig) -> None:
        """Every test of the build is stored for the run; the run ends with errors naming the
        failed tests."""
        for batch_id in BATCHES:
            await rig.deliver(batch_id)

        run = rig.repo.runs["r1"]
        assert (RunStatus.SUCCEEDED_WITH_ERRORS, 6, "fail") == (
            run.status,
            len(run.test_results),
            run.test_results[LOW_LE_HIGH].status,
        )
        assert LOW_LE_HIGH in (run.reason or "") and RELATIONSHIPS in (run.reason or "")

    async def test_each_alert_is_published_keyed_by_the_run(self, rig: Rig) -> None:
        """Three alerts on the alerts topic, keyed by run_id, valid DataTestFailed payloads."""
        for batch_id in BATCHES:
            await rig.deliver(batch_id)

        published = [DataTestFailed.model_validate(b) for b in rig.alerts.bodies()]
        assert [(LOW_LE_HIGH, "error"), (GAPS, "warn"), (RELATIONSHIPS, "error")] == [
            (a.unique_id, a.severity) for a in published
        ]
        assert {b"r1"} == {m.key for m in rig.alerts.messages}

    async def test_alerts_go_out_before_the_finished_event(self, rig: Rig) -> None:
        """When the run's finished event is seen, its alerts are already out, and the run is
        already stored as finished."""
        seen: list[tuple[int, RunStatus]] = []

        @rig.broker.subscriber(topics.RUN_EVENTS)
        async def on_event(body: dict[str, Any]) -> None:
            if body["kind"] == "finished":
                seen.append((len(rig.alerts.messages), rig.repo.runs["r1"].status))

        await rig.broker.start()  # the subscriber added after the test broker started
        for batch_id in BATCHES:
            await rig.deliver(batch_id)

        assert [(3, RunStatus.SUCCEEDED_WITH_ERRORS)] == seen

    async def test_the_final_event_redelivered_raises_no_new_alert(self, rig: Rig) -> None:
        """The run is built once, so its alerts are published once."""
        for batch_id in [*BATCHES, BATCHES[-1]]:
            await rig.deliver(batch_id)

        assert 3 == len(rig.alerts.messages)
