"""From a published run request to dbt's models, through every service as a real process."""

from __future__ import annotations

import asyncio
import time
from datetime import date
from typing import Any

import pytest

from services.cli.processes import Replica
from services.cli.report import read_report
from shared.clients.broker import REASON_HEADER
from shared.db.control import TICKERS_BATCH_ID
from shared.messages import topics
from testbed.kafka_tail import tail
from testbed.pipeline import Pipeline

from .conftest import H1, malformed_ticker
from .warehouse import as_truth, raw_bars, run_tickers, truth_tuples

pytestmark = pytest.mark.e2e


class TestRunCompletes:
    async def test_raw_bars_equal_the_simulators_truth(
        self, pipeline: Pipeline, first_run: dict[str, Any]
    ) -> None:
        """Every bar of every ticker, value for value; nothing missing, nothing extra."""
        tickers = [
            t for t in await run_tickers(pipeline, first_run["run_id"]) if t != malformed_ticker()
        ]
        truth = truth_tuples(pipeline.truth(tickers, *H1))

        loaded = as_truth(await raw_bars(pipeline, *H1))

        assert sum(map(len, truth.values())) == sum(map(len, loaded.values()))
        assert truth == loaded

    async def test_the_runs_requests_by_status_add_up_to_its_requests(
        self, pipeline: Pipeline, first_run: dict[str, Any]
    ) -> None:
        """The lister's and the batches' requests by HTTP status, as the report reads them, are
        as many as the run's requests; most were answered 200."""
        conn = await pipeline.connect()
        try:
            report = await read_report(conn, first_run["run_id"])
        finally:
            await conn.close()
        assert report is not None

        assert report.run.api_requests == sum(report.statuses.values())
        assert report.statuses.get("200", 0) > report.run.api_requests / 2

    async def test_staging_has_one_row_per_ticker_and_day(
        self, pipeline: Pipeline, first_run: dict[str, Any]
    ) -> None:
        """dbt built the staging model from the loaded bars, with no duplicate key."""
        conn = await pipeline.connect()
        try:
            dupes = await conn.fetchval(
                "select count(*) from (select ticker, trading_date from"
                " staging.stg_polygon__stock_bars_daily group by 1, 2 having count(*) > 1) d"
            )
            rows = await conn.fetchval(
                "select count(*) from staging.stg_polygon__stock_bars_daily"
                " where trading_date between $1 and $2",
                *H1,
            )
        finally:
            await conn.close()

        assert 0 == dupes
        assert len(await raw_bars(pipeline, *H1)) == rows

    async def test_dbt_ran_exactly_once(self, first_run: dict[str, Any]) -> None:
        """One transforming event, one finished event, and dbt's counts stored on the run."""
        kinds = [e.kind.value for e in first_run["events"]]

        assert 1 == kinds.count("transforming")
        assert 1 == kinds.count("finished")
        assert first_run["row"]["dbt_result"] is not None

    async def test_a_malformed_ticker_ends_the_run_with_errors_naming_it(
        self, pipeline: Pipeline, first_run: dict[str, Any]
    ) -> None:
        """The simulator answers one ticker with a broken body: the run says so, and only it."""
        conn = await pipeline.connect()
        try:
            errors = await conn.fetch(
                "select ticker, kind from control.ticker_errors where run_id = $1",
                first_run["run_id"],
            )
        finally:
            await conn.close()

        assert "succeeded_with_errors" == first_run["row"]["status"]
        assert [(malformed_ticker(), "malformed_response")] == [tuple(r) for r in errors]
        assert "1 tickers failed" in first_run["row"]["reason"]


class TestIdempotence:
    async def test_rerunning_the_same_range_changes_no_row(
        self, pipeline: Pipeline, first_run: dict[str, Any]
    ) -> None:
        """Same bars again: no row rewritten (not even loaded_at), none added."""
        before = await raw_bars(pipeline, *H1)

        run_id = await pipeline.request_run(**{"from": H1[0], "to": H1[1]}, batch_size=16)
        row = await pipeline.wait_finished(run_id)

        assert "succeeded_with_errors" == row["status"]
        assert before == await raw_bars(pipeline, *H1)


class TestDeadLetters:
    @pytest.mark.parametrize("topic", topics.CONSUMED)
    async def test_malformed_bytes_go_to_the_dead_letter_twin(
        self, pipeline: Pipeline, first_run: dict[str, Any], topic: str
    ) -> None:
        """Unparseable input lands in `<topic>.dlq` with its reason and its original bytes."""
        garbage = f"\xff not json for {topic} {time.monotonic_ns()}".encode("latin-1")
        async with tail(pipeline.kafka, topics.dlq(topic)) as t:
            await pipeline.publish_raw(topic, garbage, key=b"garbage")
            record = await t.wait_for(lambda r: r.value == garbage, timeout_s=30)

        headers = dict(record.headers)
        assert REASON_HEADER in headers
        assert headers[REASON_HEADER]


class TestKcatRequest:
    async def test_raw_json_bytes_start_a_run_after_garbage(self, pipeline: Pipeline) -> None:
        """A hand-typed request, as kcat sends it, runs; the services kept consuming."""
        run_id = await pipeline.request_run(
            **{"from": date(2024, 3, 1), "to": date(2024, 3, 28)}, tickers=["BRK.A", "KIMpL"]
        )

        row = await pipeline.wait_finished(run_id)

        assert "succeeded" == row["status"]
        assert ["BRK.A", "KIMpL"] == await run_tickers(pipeline, run_id)


class TestCrashes:
    async def test_killing_a_fetcher_and_a_loader_mid_run_still_gives_exact_counts(
        self, pipeline: Pipeline
    ) -> None:
        """SIGKILL one fetcher and one loader once batches flow; restart them; truth holds."""
        year = (date(2023, 1, 3), date(2023, 12, 29))
        run_id = await pipeline.request_run(**{"from": year[0], "to": year[1]}, batch_size=2)
        await _wait_for_fetched(pipeline, run_id, at_least=3)
        pipeline.kill(Replica("fetcher", 1))
        pipeline.kill(Replica("loader", 1))
        pipeline.restart(Replica("fetcher", 1))
        pipeline.restart(Replica("loader", 1))

        row = await pipeline.wait_finished(run_id, timeout_s=300)
        tickers = [t for t in await run_tickers(pipeline, run_id) if t != malformed_ticker()]
        truth = truth_tuples(pipeline.truth(tickers, *year))

        assert "succeeded_with_errors" == row["status"]
        assert truth == as_truth(await raw_bars(pipeline, *year))


async def _wait_for_fetched(p: Pipeline, run_id: str, at_least: int) -> None:
    conn = await p.connect()
    try:
        for _ in range(600):
            n = await conn.fetchval(
                "select count(fetched_at) from control.batches"
                " where run_id = $1 and batch_id <> $2",
                run_id,
                TICKERS_BATCH_ID,
            )
            if n >= at_least:
                return
            await asyncio.sleep(0.1)
    finally:
        await conn.close()
    raise TimeoutError("no batch was fetched")
