"""What `stocks-elt status` reads, from real control tables, as the ingest role the CLI uses."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import asyncpg
import pytest

from services.cli.runs import RunReader
from shared.db.control import TICKERS_BATCH_ID, RunStatus

pytestmark = pytest.mark.integration


@pytest.fixture
async def reader(ingest_pool: asyncpg.Pool) -> AsyncIterator[RunReader]:
    conn = await ingest_pool.acquire()
    try:
        yield RunReader(conn)  # type: ignore[arg-type]
    finally:
        await ingest_pool.release(conn)


async def _seed(pool: asyncpg.Pool) -> None:
    """r1 (from the fixture) listed with a listing, a range batch and a splits batch, one
    ticker not found, one test warned, dbt half way; r2 rejected."""
    run = (
        "update control.runs set status = $2, total_batches = 3, tickers_total = 2,"
        " api_requests = 1, plan = 'per_ticker', dbt_progress = $1::jsonb where run_id = 'r1'"
    )
    await pool.execute(run, json.dumps({"done": 12, "total": 40}), RunStatus.TRANSFORMING)
    await pool.executemany(
        "insert into control.batches (run_id, batch_id, tickers, command, listed, fetched_at,"
        " loaded_at, bars_loaded, api_requests) values ('r1', $1, $2, $3::jsonb, true, now(),"
        " now(), $4, $5)",
        [
            (TICKERS_BATCH_ID, [], None, 2, None),
            ("b00000", ["AAPL"], json.dumps({"seq": 0, "days": None}), 250, 1),
            ("splits", ["AAPL"], json.dumps({"seq": 1, "actions": "splits"}), 0, 1),
        ],
    )
    await pool.execute(
        "insert into control.ticker_errors (run_id, batch_id, ticker, kind, reason)"
        " values ('r1', $1, 'NOSUCH', 'not_found', 'not a ticker')",
        TICKERS_BATCH_ID,
    )
    await pool.execute(
        "insert into control.runs (run_id, request, status, reason, finished_at)"
        " values ('r2', '{\"from\": \"2024-03-01\"}', $1, 'from is after to', now())",
        RunStatus.REJECTED,
    )


class TestRunReader:
    async def test_a_run_with_its_batches_errors_and_progress(
        self, ingest_pool: asyncpg.Pool, reader: RunReader
    ) -> None:
        """Bars sum the bar batches only; batches come listing first, then by seq, each with
        its kind; the not-found ticker is named; dbt's progress is read."""
        await _seed(ingest_pool)

        run = await reader.run("r1")
        batches = await reader.batches("r1")
        failed = await reader.failed_tickers(["r1", "r2"])

        assert run is not None
        assert (250, 3, 3, 1, {"done": 12, "total": 40}) == (
            run.bars,
            run.loaded,
            run.api_requests,
            run.tickers_failed,
            run.dbt_progress,
        )
        assert [("tickers", "listing", 2), ("b00000", "ranges", 1), ("splits", "splits", 1)] == [
            (b.batch_id, b.kind, b.tickers) for b in batches
        ]
        assert {"r1": ["NOSUCH (not_found)"]} == failed

    async def test_a_rejected_run_is_listed_finished_with_its_reason(
        self, ingest_pool: asyncpg.Pool, reader: RunReader
    ) -> None:
        """The rejected request is a run like any other: newest first, final, with why."""
        await _seed(ingest_pool)

        recent = await reader.recent()

        assert ["r2", "r1"] == [r.run_id for r in recent]
        assert (True, "from is after to", {"from": "2024-03-01"}) == (
            recent[0].finished,
            recent[0].reason,
            recent[0].request,
        )
