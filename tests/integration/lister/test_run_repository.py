"""The lister's failure of a run on real control tables, as the ingest role: the run fails and
its event waits in the outbox for the transformer's relay, in one transaction; a run no longer
listing is left alone, and so is the outbox. Failed or listed, the run keeps its listing's API
requests, by status too."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import asyncpg
import pytest

from services.lister.repository import RunRepository
from shared.db.control import RunStatus
from shared.db.outbox import OutboxMessage
from shared.fetch_plan import FetchPlan
from shared.messages import FetchBatch
from testbed.stack import Stack

pytestmark = pytest.mark.integration

EVENT = OutboxMessage("r1/finished", "stocks.run-events", "r1", '{"status": "failed"}')


@pytest.fixture
async def admin(ingest_pool: asyncpg.Pool, stack: Stack) -> AsyncIterator[asyncpg.Connection]:
    """The same database as the admin: the ingest role may write the outbox, not read it."""
    conn = await asyncpg.connect(
        host=stack.postgres.host,
        port=stack.postgres.port,
        database=await ingest_pool.fetchval("select current_database()"),
        user=stack.admin.user,
        password=stack.admin.password.get_secret_value(),
    )
    yield conn
    await conn.close()


async def _state(admin: asyncpg.Connection) -> tuple[str, str | None, list[tuple[str, ...]]]:
    run = await admin.fetchrow("select status, reason from control.runs where run_id = 'r1'")
    assert run is not None
    outbox = await admin.fetch(
        "select message_id, topic, key, payload::text from control.outbox"
        " where published_at is null order by id"
    )
    return run["status"], run["reason"], [tuple(r.values()) for r in outbox]


class TestFail:
    async def test_a_listing_run_fails_with_its_event_in_the_outbox(
        self, ingest_pool: asyncpg.Pool, admin: asyncpg.Connection
    ) -> None:
        """Failed with the reason; the event pending in the outbox, once, however often the
        failure is recorded."""
        runs = RunRepository(ingest_pool)

        await runs.fail("r1", "listing tickers failed: HTTP 503", [EVENT], 2, {"503": 2})
        await runs.fail("r1", "listing tickers failed: HTTP 503", [EVENT], 2, {"503": 2})

        expected_row = ("r1/finished", "stocks.run-events", "r1", '{"status": "failed"}')
        assert (RunStatus.FAILED, "listing tickers failed: HTTP 503", [expected_row]) == (
            await _state(admin)
        )

    async def test_a_run_no_longer_listing_is_left_alone(
        self, ingest_pool: asyncpg.Pool, admin: asyncpg.Connection
    ) -> None:
        """A running run is not failed by a late listing failure, and no event is written."""
        await admin.execute(
            "update control.runs set status = $1 where run_id = 'r1'", RunStatus.RUNNING
        )

        await RunRepository(ingest_pool).fail(
            "r1", "listing tickers failed", [EVENT], 1, {"200": 1}
        )

        assert (RunStatus.RUNNING, None, []) == await _state(admin)

    async def test_the_listings_requests_are_recorded_by_status(
        self, ingest_pool: asyncpg.Pool, admin: asyncpg.Connection
    ) -> None:
        """The failed run keeps the requests its listing made, by status."""
        await RunRepository(ingest_pool).fail("r1", "gave up", [EVENT], 3, {"200": 1, "503": 2})

        assert (3, {"200": 1, "503": 2}) == await _requests(admin)


async def _requests(admin: asyncpg.Connection) -> tuple[int, dict[str, int]]:
    row = await admin.fetchrow(
        "select api_requests, api_statuses::text as statuses from control.runs where run_id = 'r1'"
    )
    assert row is not None
    return row["api_requests"], json.loads(row["statuses"])


class TestRegisterBatches:
    async def test_the_listings_requests_are_recorded_by_status(
        self, ingest_pool: asyncpg.Pool, admin: asyncpg.Connection
    ) -> None:
        """The run, now running, keeps its listing's requests in all and by status."""
        command = FetchBatch.model_validate(
            {"run_id": "r1", "message_id": "r1/b00000/fetch", "batch_id": "b00000", "seq": 0,
             "total_batches": 2, "tickers": ["AAA"], "from": "2024-01-02", "to": "2024-01-05"}
        )  # fmt: skip
        plan = FetchPlan("per_ticker", ["AAA"], [], ["AAA"], "test")

        await RunRepository(ingest_pool).register_batches(
            "r1", [command], 1, 3, {"200": 2, "429": 1}, ("tickers", "raw/r1/tickers.jsonl"), plan
        )

        assert (3, {"200": 2, "429": 1}) == await _requests(admin)
