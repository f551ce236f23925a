"""The lister's reads and writes of the control schema."""

from __future__ import annotations

import json

import asyncpg

from shared.messages import RunStatus

from .core import RunSpec


class RunRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def ensure_run(self, spec: RunSpec) -> RunStatus:
        """Register the run as listing unless it exists; its current status either way."""
        status = await self._pool.fetchval(
            """
            insert into control.runs (run_id, request) values ($1, $2::jsonb)
            on conflict (run_id) do update set updated_at = control.runs.updated_at
            returning status
            """,
            spec.run_id, json.dumps(spec.as_json()),
        )
        return RunStatus(status)

    async def register_batches(
        self, run_id: str, batches: list[tuple[str, list[str]]], tickers_total: int,
        api_requests: int, tickers_batch: tuple[str, str],
    ) -> None:
        """Record every batch and the total; the run is then running. One transaction."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.executemany(
                "insert into control.batches (run_id, batch_id, tickers) values ($1, $2, $3)"
                " on conflict do nothing",
                [(run_id, b, t) for b, t in batches],
            )
            await conn.execute(
                "insert into control.batches (run_id, batch_id, tickers, object_key, fetched_at)"
                " values ($1, $2, '{}', $3, now()) on conflict do nothing",
                run_id, *tickers_batch,
            )
            await conn.execute(
                """
                update control.runs set status = 'running', total_batches = $2,
                    tickers_total = $3, api_requests = $4, plan = 'per_ticker',
                    listed_at = now(), updated_at = now()
                where run_id = $1 and status = 'listing'
                """,
                run_id, len(batches) + 1, tickers_total, api_requests,
            )

    async def fail(self, run_id: str, reason: str) -> None:
        await self._pool.execute(
            "update control.runs set status = 'failed', reason = $2, finished_at = now(),"
            " updated_at = now() where run_id = $1 and status = 'listing'",
            run_id, reason,
        )

    async def unloaded_batches(self, run_id: str) -> list[tuple[str, list[str]]]:
        rows = await self._pool.fetch(
            "select batch_id, tickers from control.batches where run_id = $1"
            " and loaded_at is null and cardinality(tickers) > 0 order by batch_id",
            run_id,
        )
        return [(r["batch_id"], list(r["tickers"])) for r in rows]

    async def total_batches(self, run_id: str) -> int:
        return int(await self._pool.fetchval(
            "select coalesce(total_batches, 0) from control.runs where run_id = $1", run_id
        ))
