"""Alerts that mean something: a run's build alerts only on test failures new since the previous
build and not acknowledged; every test keeps its new/known/acknowledged counts (triage.py over
the fakes, the transformer ending runs as in production)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from services.transformer.core import DataTestResult, DbtOutcome
from services.transformer.failures import FailureCounts
from services.transformer.service import Transformer
from shared.messages import DataTestFailed, topics
from tests.fakes.kafka import FakePublisher
from tests.fakes.transformer import FakeControlRepository, FakeDbtRunner

pytestmark = pytest.mark.unit

GAPS = "test.stocks_elt.int_stock_bars_adjusted_max_days_between_bars.c568210045"
GAPS_TABLE = '"stocks"."dbt_test__audit"."int_stock_bars_adjusted_max_days_between_bars"'
BROKEN = "test.stocks_elt.fct_rolling_volatility_not_negative.e85aec77f7"
PASSED = "test.stocks_elt.unique_dim_tickers_ticker.fe6d6851ab"


def gap(ticker: str, day: str) -> dict[str, Any]:
    return {"ticker": ticker, "trading_date": day, "previous_trading_date": "2024-01-02"}


def build(gaps: int) -> DbtOutcome:
    """A build whose gaps test warned with `gaps` rows and whose other test errored."""
    return DbtOutcome(
        ok=True,
        tests=(
            DataTestResult(PASSED, "pass", 0),
            DataTestResult(GAPS, "warn", gaps, f"Got {gaps} results", GAPS_TABLE),
            DataTestResult(BROKEN, "error", None, "column does not exist"),
        ),
    )


class Rig:
    def __init__(self) -> None:
        self.repo = FakeControlRepository()
        self.dbt = FakeDbtRunner(build(2))
        self.publisher = FakePublisher()
        self.service = Transformer(self.repo, self.dbt, self.publisher, 3600)
        self.repo.stored_failures[GAPS_TABLE] = [
            gap("ILLQ", "2024-03-01"),
            gap("AAA", "2024-03-05"),
        ]

    async def run(self, run_id: str) -> list[DataTestFailed]:
        """One run built and ended; the test alerts it published."""
        self.repo.add_run(run_id, status="transforming", total_batches=1)
        before = len(self.publisher.on(topics.ALERTS))
        await self.service.transform(run_id)
        sent = self.publisher.on(topics.ALERTS)[before:]
        return [DataTestFailed.model_validate(json.loads(p.message)) for p in sent]


@pytest.fixture
def rig() -> Rig:
    return Rig()


class TestRepeatedFailures:
    async def test_a_second_identical_build_raises_no_alert(self, rig: Rig) -> None:
        """The first build alerts both non-passing tests (all new); the same failures again
        alert nothing, and the run's results say they are known."""
        first = await rig.run("r1")
        second = await rig.run("r2")

        assert {GAPS: 2, BROKEN: 1} == {a.unique_id: a.new_failures for a in first}
        assert [] == second
        assert FailureCounts(new=0, known=2) == rig.repo.runs["r2"].test_results[GAPS].triage
        assert FailureCounts(known=1) == rig.repo.runs["r2"].test_results[BROKEN].triage

    async def test_a_new_failure_among_known_ones_alerts_with_both_counts(self, rig: Rig) -> None:
        """A third bar with a gap: the test alerts again, saying 1 new and 2 known."""
        await rig.run("r1")
        rig.repo.stored_failures[GAPS_TABLE].append(gap("BBB", "2024-03-07"))

        [alert] = await rig.run("r2")

        assert (GAPS, 1, 2, 0) == (
            alert.unique_id,
            alert.new_failures,
            alert.known_failures,
            alert.acknowledged_failures,
        )

    async def test_a_failure_that_went_away_and_came_back_is_new(self, rig: Rig) -> None:
        """Known means: in the previous build, not in some build long ago."""
        await rig.run("r1")
        rig.repo.stored_failures[GAPS_TABLE] = [gap("AAA", "2024-03-05")]
        await rig.run("r2")
        rig.repo.stored_failures[GAPS_TABLE].append(gap("ILLQ", "2024-03-01"))

        [alert] = await rig.run("r3")

        assert (1, 1) == (alert.new_failures, alert.known_failures)

    async def test_a_build_whose_tests_did_not_run_is_no_previous_build(self, rig: Rig) -> None:
        """dbt could not run in r2: r3 compares with r1 and raises nothing new."""
        await rig.run("r1")
        rig.dbt.outcome = DbtOutcome(ok=False, error="dbt build did not run: boom")
        await rig.run("r2")
        rig.dbt.outcome = build(2)

        assert [] == await rig.run("r3")


class TestAcknowledged:
    async def test_an_acknowledged_ticker_stops_alerting(self, rig: Rig) -> None:
        """ILLQ's gap accepted before the first build: the test alerts only AAA's, and counts
        ILLQ's as acknowledged."""
        rig.repo.acknowledged.add(("int_stock_bars_adjusted_max_days_between_bars", "ILLQ"))

        alerts = {a.unique_id: a for a in await rig.run("r1")}

        assert (1, 0, 1) == (
            alerts[GAPS].new_failures,
            alerts[GAPS].known_failures,
            alerts[GAPS].acknowledged_failures,
        )

    async def test_every_failure_acknowledged_raises_no_alert(self, rig: Rig) -> None:
        """`*` accepts all of a test's failures: only the other test alerts."""
        rig.repo.acknowledged.add(("int_stock_bars_adjusted_max_days_between_bars", "*"))

        alerts = await rig.run("r1")

        assert [BROKEN] == [a.unique_id for a in alerts]


class TestTriageThatCannotRun:
    async def test_every_non_passing_test_alerts_as_before(
        self, rig: Rig, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The failing rows cannot be read (not a database outage): alerts are not held back,
        and their counts are unknown (null)."""

        async def unreadable(relation_name: str, limit: int) -> list[dict[str, Any]]:
            raise ValueError(f"not a relation name: {relation_name!r}")

        await rig.run("r1")
        monkeypatch.setattr(rig.repo, "failing_rows", unreadable)

        alerts = await rig.run("r2")

        assert [(GAPS, None), (BROKEN, None)] == [(a.unique_id, a.new_failures) for a in alerts]
