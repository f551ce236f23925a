"""control.schedule_slots through SlotRepository as the ingest role: one claim per slot
however many replicas race, and each claimed request published once even by two replicas."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from services.scheduler.core import parse_schedule, run_request
from services.scheduler.repository import SlotRepository
from shared.db.control import RunStatus

pytestmark = pytest.mark.integration
T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
SCHEDULE = parse_schedule("* * * * * */10", "UTC", "it-%H%M%S", T0)


class TestClaims:
    async def test_racing_replicas_claim_a_slot_once(self, ingest_pool: asyncpg.Pool) -> None:
        """Eight concurrent claims of one slot: one wins, and the row holds its request."""
        repo = SlotRepository(ingest_pool)
        slot = SCHEDULE.previous_slots(T0, 1)[0]
        request = run_request(slot, {"max_tickers": 3})

        wins = await asyncio.gather(
            *(repo.claim(slot, request, SCHEDULE.cron, f"r{i}") for i in range(8))
        )
        stored = await ingest_pool.fetchval(
            "select request->>'max_tickers' from control.schedule_slots where run_id = $1",
            slot.run_id,
        )

        assert (1, "3", slot.at) == (sum(wins), stored, await repo.began(T0, "r"))


class TestOrigin:
    async def test_the_first_start_is_recorded_once(self, ingest_pool: asyncpg.Pool) -> None:
        """Two replicas starting an hour apart on a new deployment: both see the first start."""
        repo = SlotRepository(ingest_pool)
        first, second = T0 + timedelta(hours=1), T0 + timedelta(hours=2)

        seen = [await repo.began(first, "a"), await repo.began(second, "b")]
        by = await ingest_pool.fetchval("select began_by from control.schedule_origin")

        assert ([first, first], "a") == (seen, by)


class TestPublishing:
    async def test_two_replicas_publishing_send_each_request_once_in_order(
        self, ingest_pool: asyncpg.Pool
    ) -> None:
        """Five claimed slots, two concurrent publishers: five sends, no slot twice, all marked."""
        repo = SlotRepository(ingest_pool)
        for slot in SCHEDULE.previous_slots(T0, 5):
            await repo.claim(slot, run_request(slot, {}), SCHEDULE.cron, "r")
        sent: list[str] = []

        async def send(payload: bytes, key: bytes) -> None:
            await asyncio.sleep(0.02)  # a publish takes a moment: the other replica tries meanwhile
            sent.append(key.decode())

        counts = await asyncio.gather(repo.publish_pending(send), repo.publish_pending(send))
        unpublished = await ingest_pool.fetchval(
            "select count(*) from control.schedule_slots where published_at is null"
        )

        assert (5, 5, 5, 0) == (sum(counts), len(sent), len(set(sent)), unpublished)

    async def test_recent_joins_the_runs_status(self, ingest_pool: asyncpg.Pool) -> None:
        repo = SlotRepository(ingest_pool)
        slot = SCHEDULE.previous_slots(T0, 1)[0]
        await repo.claim(slot, run_request(slot, {}), SCHEDULE.cron, "r")
        await ingest_pool.execute(
            "insert into control.runs (run_id, request, status) values ($1, '{}', $2)",
            slot.run_id,
            RunStatus.RUNNING,
        )

        recent = await repo.recent(5)

        assert [(slot.run_id, "running")] == [(r.run_id, r.status) for r in recent]
