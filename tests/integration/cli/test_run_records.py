"""What issue #16 records, on real control tables as the ingest role: a rejected request, the
names a run could not find, the reference rows that spare a listing, and the tickers a run
named (the loader's no_data)."""

from __future__ import annotations

import json

import asyncpg
import pytest

from services.lister.repository import RunRepository
from services.loader.repository import RawRepository
from shared.db.control import RunStatus
from shared.db.outbox import OutboxMessage

pytestmark = pytest.mark.integration


class TestRejectedRequest:
    async def test_a_rejected_run_with_its_reason_and_event(
        self, ingest_pool: asyncpg.Pool
    ) -> None:
        """Recorded once, finished, with the request as sent (less a NUL Postgres refuses);
        an id already taken is left alone."""
        repo = RunRepository(ingest_pool)
        event = OutboxMessage("kcat-1/finished", "stocks.run-events", "kcat-1", '{"x": 1}')

        await repo.reject("kcat-1", {"from": "2024-03-01\u0000"}, "from is after to", [event])
        await repo.reject("kcat-1", {"other": True}, "second", [event])
        await repo.reject("r1", {}, "taken", [])
        row = await ingest_pool.fetchrow("select * from control.runs where run_id = 'kcat-1'")
        kept = await ingest_pool.fetchval("select status from control.runs where run_id = 'r1'")

        assert row is not None
        assert (RunStatus.REJECTED, "from is after to", {"from": "2024-03-01"}) == (
            row["status"],
            row["reason"],
            json.loads(row["request"]),
        )
        assert row["finished_at"] is not None
        assert RunStatus.LISTING == kept


class TestNamedTickers:
    async def test_not_found_names_are_the_runs_ticker_errors(
        self, ingest_pool: asyncpg.Pool
    ) -> None:
        """Recorded under the listing's batch; the first error of a ticker stays."""
        repo = RunRepository(ingest_pool)

        await repo.record_ticker_errors("r1", [("NOPE", "not_found", "no such ticker")])
        await repo.record_ticker_errors("r1", [("NOPE", "gave_up", "later")])
        await repo.record_ticker_errors("r1", [])
        rows = await ingest_pool.fetch("select batch_id, ticker, kind from control.ticker_errors")

        assert [("tickers", "NOPE", "not_found")] == [tuple(r) for r in rows]

    async def test_stored_reference_rows_are_read_back(self, ingest_pool: asyncpg.Pool) -> None:
        """A row an earlier listing stored (with its optional columns empty) is a TickerRef."""
        await ingest_pool.execute(
            "insert into raw.tickers (ticker, name, active, run_id, object_key)"
            " values ('BRK.A', 'Berkshire', true, 'r0', 'k')"
        )

        refs = await RunRepository(ingest_pool).stored_refs(["BRK.A", "NEW"])

        assert ["BRK.A"] == list(refs)
        assert ("Berkshire", "stocks", True) == (
            refs["BRK.A"].name,
            refs["BRK.A"].market,
            refs["BRK.A"].active,
        )

    async def test_the_loader_reads_the_names_a_run_asked_for(
        self, ingest_pool: asyncpg.Pool
    ) -> None:
        """A run of named tickers over its own range gives them all; an incremental one only
        those never loaded (AAPL has a bar: up to date, its empty range is no error); a run of
        the listing (null or no tickers) none."""
        await ingest_pool.execute(
            "insert into control.runs (run_id, request) values"
            ' (\'n1\', \'{"tickers": ["AAPL", "KIMpL"], "from": "2024-01-02"}\'),'
            " ('n2', '{\"tickers\": null}'),"
            ' (\'n3\', \'{"tickers": ["AAPL", "KIMpL"], "from": null}\')'
        )
        await ingest_pool.execute(
            "insert into raw.stock_bars_daily (ticker, trading_date, adjusted, open, high, low,"
            " close, volume, bar_ts_ms, source, run_id, object_key)"
            " values ('AAPL', '2024-01-02', false, 1, 1, 1, 1, 1, 0, 'aggs_range', 'r0', 'k')"
        )
        repo = RawRepository(ingest_pool)

        assert frozenset({"AAPL", "KIMpL"}) == await repo.named_tickers("n1")
        assert frozenset() == await repo.named_tickers("n2")
        assert frozenset({"KIMpL"}) == await repo.named_tickers("n3")
        assert frozenset() == await repo.named_tickers("r1")
