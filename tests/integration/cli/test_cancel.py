"""`stocks-elt cancel` against real control tables, as the ingest role the CLI uses."""

from __future__ import annotations

import asyncpg
import pytest

from services.cli.cancel import cancel_run
from shared.db.control import RunStatus

pytestmark = pytest.mark.integration


class TestCancel:
    async def test_a_running_run_ends_failed_with_who_and_why(
        self, ingest_pool: asyncpg.Pool
    ) -> None:
        await ingest_pool.execute(
            "update control.runs set status = $1 where run_id = 'r1'", RunStatus.RUNNING
        )
        refused = await cancel_run(ingest_pool, "r1", "wrong range")
        row = await ingest_pool.fetchrow(
            "select status, reason, finished_at is not null as ended from control.runs"
            " where run_id = 'r1'"
        )

        assert row is not None
        assert (None, RunStatus.FAILED, True) == (refused, row["status"], row["ended"])
        assert row["reason"].startswith("cancelled by ")
        assert row["reason"].endswith(": wrong range")

    async def test_a_run_in_dbt_or_ended_is_left_alone(self, ingest_pool: asyncpg.Pool) -> None:
        await ingest_pool.execute(
            "update control.runs set status = $1 where run_id = 'r1'", RunStatus.TRANSFORMING
        )
        refused = await cancel_run(ingest_pool, "r1", None)
        unknown = await cancel_run(ingest_pool, "nosuch", None)
        status = await ingest_pool.fetchval("select status from control.runs where run_id = 'r1'")

        assert "run r1 is transforming" in (refused or "")
        assert ("no run nosuch", RunStatus.TRANSFORMING) == (unknown, status)
