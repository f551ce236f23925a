"""From a published run request to dbt's models, through every service as a real process."""

from __future__ import annotations

import asyncio
import time
from datetime import date
from typing import Any

import pytest

from services.cli.processes import Replica
from shared.clients.broker import REASON_HEADER
from shared.messages import RunEvent, topics
from tests.support.kafka_tail import end_offsets, tail

from .conftest import malformed_ticker
from tests.support.pipeline import Pipeline

pytestmark = pytest.mark.e2e
H1 = (date(2024, 1, 2), date(2024, 6, 28))

_RAW = """select ticker, trading_date, open, high, low, close, volume, vwap, transactions,
                 bar_ts_ms, run_id, loaded_at
          from raw.stock_bars_daily where adjusted and trading_date between $1 and $2
          order by ticker, trading_date"""


async def _run_tickers(p: Pipeline, run_id: str) -> list[str]:
    conn = await p.connect()
    try:
        rows = await conn.fetch(
            "select unnest(tickers) as t from control.batches where run_id = $1 order by 1", run_id)
        return [r["t"] for r in rows]
    finally:
        await conn.close()


async def _raw(p: Pipeline, start: date, end: date) -> list[Any]:
    conn = await p.connect()
    try:
        return list(await conn.fetch(_RAW, start, end))
    finally:
        await conn.close()


def _as_truth(rows: list[Any]) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {}
    for r in rows:
        out.setdefault(r["ticker"], []).append(
            (r["bar_ts_ms"], r["open"], r["high"], r["low"], r["close"], r["volume"], r["vwap"],
             r["transactions"]))
    return out


def _truth_tuples(truth: dict[str, list[dict[str, Any]]]) -> dict[str, list[tuple[Any, ...]]]:
    return {t: [(b["t"], b["o"], b["h"], b["l"], b["c"], b["v"], b.get("vw"), b.get("n"))
                for b in bars] for t, bars in truth.items() if bars}


@pytest.fixture(scope="module")
async def first_run(pipeline: Pipeline) -> dict[str, Any]:
    """One run over the whole simulated universe for the first half of 2024, with its events."""
    mark = await end_offsets(pipeline.kafka, topics.RUN_EVENTS)
    run_id = await pipeline.request_run(**{"from": H1[0], "to": H1[1]}, batch_size=8)
    row = await pipeline.wait_finished(run_id)
    events: list[RunEvent] = []
    async with tail(pipeline.kafka, topics.RUN_EVENTS, start=mark) as t:
        try:
            while True:
                rec = await t.wait_for(lambda r: r.key == run_id.encode(), timeout_s=3)
                events.append(RunEvent.model_validate_json(rec.value))
        except TimeoutError:
            pass
    return {"run_id": run_id, "row": row, "events": events}


class TestRunCompletes:
    async def test_raw_bars_equal_the_simulators_truth(
        self, pipeline: Pipeline, first_run: dict[str, Any]
    ) -> None:
        """Every bar of every ticker, value for value; nothing missing, nothing extra."""
        tickers = [t for t in await _run_tickers(pipeline, first_run["run_id"])
                   if t != malformed_ticker()]
        truth = _truth_tuples(pipeline.truth(tickers, *H1))

        loaded = _as_truth(await _raw(pipeline, *H1))

        assert sum(map(len, truth.values())) == sum(map(len, loaded.values()))
        assert truth == loaded

    async def test_staging_has_one_row_per_ticker_and_day(
        self, pipeline: Pipeline, first_run: dict[str, Any]
    ) -> None:
        """dbt built the staging model from the loaded bars, with no duplicate key."""
        conn = await pipeline.connect()
        try:
            dupes = await conn.fetchval(
                "select count(*) from (select ticker, trading_date from"
                " staging.stg_polygon__stock_bars_daily group by 1, 2 having count(*) > 1) d")
            rows = await conn.fetchval("select count(*) from staging.stg_polygon__stock_bars_daily")
        finally:
            await conn.close()

        assert 0 == dupes
        assert len(await _raw(pipeline, *H1)) == rows

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
            errors = await conn.fetch("select ticker, kind from control.ticker_errors"
                                      " where run_id = $1", first_run["run_id"])
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
        before = await _raw(pipeline, *H1)

        run_id = await pipeline.request_run(**{"from": H1[0], "to": H1[1]}, batch_size=16)
        row = await pipeline.wait_finished(run_id)

        assert "succeeded_with_errors" == row["status"]
        assert before == await _raw(pipeline, *H1)


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
            **{"from": date(2024, 3, 1), "to": date(2024, 3, 28)}, tickers=["BRK.A", "KIMpL"])

        row = await pipeline.wait_finished(run_id)

        assert "succeeded" == row["status"]
        assert ["BRK.A", "KIMpL"] == await _run_tickers(pipeline, run_id)


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
        tickers = [t for t in await _run_tickers(pipeline, run_id) if t != malformed_ticker()]
        truth = _truth_tuples(pipeline.truth(tickers, *year))

        assert "succeeded_with_errors" == row["status"]
        assert truth == _as_truth(await _raw(pipeline, *year))


async def _wait_for_fetched(p: Pipeline, run_id: str, at_least: int) -> None:
    conn = await p.connect()
    try:
        for _ in range(600):
            n = await conn.fetchval("select count(fetched_at) from control.batches"
                                    " where run_id = $1 and batch_id <> 'tickers'", run_id)
            if n >= at_least:
                return
            await asyncio.sleep(0.1)
    finally:
        await conn.close()
    raise TimeoutError("no batch was fetched")
