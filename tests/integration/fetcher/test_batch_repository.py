"""Which batches the fetcher may still fetch, decided by real control tables as the ingest role:
only a listed, unfetched batch of a running run; a redelivered one costs no API request."""

from __future__ import annotations

import json

import asyncpg
import pytest

from services.fetcher.repository import BatchRepository

pytestmark = pytest.mark.integration


async def _setup(pool: asyncpg.Pool, status: str, listed: bool) -> BatchRepository:
    await pool.execute("update control.runs set status = $1 where run_id = 'r1'", status)
    await pool.execute(
        "insert into control.batches (run_id, batch_id, tickers, listed)"
        " values ('r1', 'b00000', '{}', $1)",
        listed,
    )
    return BatchRepository(pool)


class TestWants:
    async def test_a_listed_batch_of_a_running_run_is_wanted_until_it_is_fetched(
        self, ingest_pool: asyncpg.Pool
    ) -> None:
        """Wanted once; after mark_fetched, a redelivery of it is not."""
        batches = await _setup(ingest_pool, "running", listed=True)

        before = await batches.wants("r1", "b00000")
        await batches.mark_fetched("r1", "b00000", "raw/polygon/r1/b00000.jsonl", 3, {"200": 3})

        assert (True, False) == (before, await batches.wants("r1", "b00000"))

    @pytest.mark.parametrize(("status", "listed"), [("failed", True), ("running", False)])
    async def test_a_batch_of_an_ended_run_or_never_listed_is_not(
        self, ingest_pool: asyncpg.Pool, status: str, listed: bool
    ) -> None:
        """An ended run, or a batch the lister never registered: nothing to fetch."""
        batches = await _setup(ingest_pool, status, listed)

        assert False is await batches.wants("r1", "b00000")

    async def test_an_unknown_run_is_not(self, ingest_pool: asyncpg.Pool) -> None:
        """No such run at all."""
        assert False is await BatchRepository(ingest_pool).wants("nope", "b00000")


class TestMarkFetched:
    async def test_the_requests_by_status_are_set_not_added(
        self, ingest_pool: asyncpg.Pool
    ) -> None:
        """A re-fetched batch records its own requests, by status, not the sum of both."""
        batches = await _setup(ingest_pool, "running", listed=True)
        key = "raw/polygon/r1/b00000.jsonl"

        await batches.mark_fetched("r1", "b00000", key, 4, {"200": 2, "429": 1, "error": 1})
        await batches.mark_fetched("r1", "b00000", key, 3, {"200": 2, "503": 1})

        row = await ingest_pool.fetchrow(
            "select api_requests, api_statuses::text as statuses from control.batches"
            " where run_id = 'r1' and batch_id = 'b00000'"
        )
        assert row is not None
        assert (3, {"200": 2, "503": 1}) == (row["api_requests"], json.loads(row["statuses"]))
