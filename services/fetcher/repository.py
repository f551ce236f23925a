"""The fetcher's control-schema calls: may a batch still be fetched, and its object is stored."""

from __future__ import annotations

import json
from collections.abc import Mapping

import asyncpg

from shared.clients.db import through_restart
from shared.db.control import RunStatus
from shared.messages import FetchBatch


class BatchRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def wants(self, run_id: str, batch_id: str) -> bool:
        """A batch the lister registered, of a run still running, not fetched yet: anything
        else (an unknown run, a forged batch, a run that ended, a batch redelivered after its
        object was stored) would spend API requests for nothing. An object whose notification
        was lost is found by the transformer's reconciler, not fetched again."""
        return bool(
            await self._pool.fetchval(
                "select 1 from control.runs r join control.batches b using (run_id)"
                f" where r.run_id = $1 and b.batch_id = $2 and r.status = '{RunStatus.RUNNING}'"
                " and b.listed"
                " and b.fetched_at is null",
                run_id,
                batch_id,
            )
        )

    async def with_tickers(self, batch: FetchBatch) -> FetchBatch:
        """The batch as the lister registered it when the message left its tickers out
        (`tickers_held`: too many for one Kafka message); else the batch itself."""
        if not batch.tickers_held:
            return batch
        command = await self._pool.fetchval(
            "select command from control.batches where run_id = $1 and batch_id = $2",
            batch.run_id,
            batch.batch_id,
        )
        if command is None:  # `wants` saw it registered; a command is written with it
            raise LookupError(f"batch {batch.batch_id} has no registered command")
        return FetchBatch.model_validate_json(command)

    async def mark_fetched(
        self,
        run_id: str,
        batch_id: str,
        key: str,
        api_requests: int,
        api_statuses: Mapping[str, int],
    ) -> None:
        """Set, not add: a re-fetched batch records its own request counts, not a sum. Waits
        out a database restart: the object is stored, and a failure here would have the batch
        fetched again, every request paid twice."""
        await through_restart(
            lambda: self._pool.execute(
                "update control.batches set fetched_at = now(), object_key = $3,"
                " api_requests = $4, api_statuses = $5::jsonb"
                " where run_id = $1 and batch_id = $2",
                run_id,
                batch_id,
                key,
                api_requests,
                json.dumps(dict(api_statuses)),
            )
        )
