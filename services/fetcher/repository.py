"""The fetcher's one write to the control schema: a batch's object is stored."""

from __future__ import annotations

import asyncpg


class BatchRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def mark_fetched(self, run_id: str, batch_id: str, key: str, api_requests: int) -> None:
        """Set, not add: a re-fetched batch records its own request count, not a sum."""
        await self._pool.execute(
            "update control.batches set fetched_at = now(), object_key = $3, api_requests = $4"
            " where run_id = $1 and batch_id = $2",
            run_id,
            batch_id,
            key,
            api_requests,
        )
