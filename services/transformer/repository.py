"""The transformer's control-schema reads and writes: the completion set, the atomic claim of a
complete run, heartbeats, the run's end with its test results and the events that follow it (in
the outbox, same transaction), and the sweeps that keep runs from hanging."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import structlog

from shared.db.control import TICKERS_BATCH_ID, UNFINISHED_STATUSES, RunStatus
from shared.db.outbox import OutboxMessage, PendingMessage, write_outbox

from .core import DbtOutcome
from .failures import Failure, FailureCounts
from .freshness import as_json as freshness_json

# The listed batches of a run in its completion set.
_DONE = (
    "select count(*) from control.completed_batches c join control.batches b"
    " using (run_id, batch_id) where c.run_id = {run} and b.listed"
)
_PROGRESS = """greatest(r.updated_at, r.listed_at,
        (select max(greatest(b.fetched_at, b.loaded_at)) from control.batches b
         where b.run_id = r.run_id))"""
_UNLOADED = f"""
select b.run_id, b.batch_id from control.runs r join control.batches b using (run_id)
where r.status = '{RunStatus.RUNNING}' and b.listed and b.loaded_at is null
  and {_PROGRESS} < now() - make_interval(secs => $1)
"""
_FAIL_STALLED = f"""
with stalled as (
    select r.run_id from control.runs r
    where r.status = any($2::text[]) and {_PROGRESS} < now() - make_interval(secs => $1)
)
update control.runs r set status = '{RunStatus.FAILED}', finished_at = now(), updated_at = now(),
    reason = 'stalled: batches never loaded: ' || coalesce((
        select string_agg(b.batch_id, ', ' order by b.batch_id) from control.batches b
        where b.run_id = r.run_id and b.loaded_at is null), 'none listed')
from stalled where r.run_id = stalled.run_id returning r.run_id, r.reason
"""

# dbt's quoted name of a store_failures table: "database"."schema"."table".
_RELATION = re.compile(r'^(?:"[^"]+"\.){1,2}"[^"]+"$')
# The failures of the build recorded last before run $1's.
_PREVIOUS_FAILURES = """
select f.test_name, f.fingerprint
from (select run_id, tests_triaged_at from control.runs
      where tests_triaged_at is not null and run_id <> $1
      order by tests_triaged_at desc limit 1) as p
join control.test_failures f on f.run_id = p.run_id and f.triaged_at = p.tests_triaged_at
"""

log = structlog.get_logger()
# Serialises dbt builds across runs and replicas: two builds must not write the marts at once.
DBT_LOCK_KEY = 7_304_112_002


class ControlRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def run_exists(self, run_id: str) -> bool:
        return bool(
            await self._pool.fetchval("select 1 from control.runs where run_id = $1", run_id)
        )

    async def complete_batch(self, run_id: str, batch_id: str) -> tuple[int, int | None]:
        """Add the batch to the run's set; (listed batches in the set, total or None). A batch
        the lister never registered counts for nothing: a stray or forged event cannot
        complete a run early."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "insert into control.completed_batches (run_id, batch_id) values ($1, $2)"
                " on conflict do nothing",
                run_id,
                batch_id,
            )
            row = await conn.fetchrow(
                f"select ({_DONE.format(run='$1')}) as done, total_batches"
                " from control.runs where run_id = $1",
                run_id,
            )
        return (int(row["done"]), row["total_batches"]) if row else (0, None)

    async def claim(self, run_id: str) -> bool:
        """Move a complete, running run to transforming: true only for the one caller that did."""
        return bool(
            await self._pool.fetchval(
                f"""
            update control.runs set status = '{RunStatus.TRANSFORMING}',
                transform_started_at = now(), transform_heartbeat = now(), updated_at = now()
            where run_id = $1 and status = '{RunStatus.RUNNING}' and total_batches is not null
              and ({_DONE.format(run="$1")}) >= total_batches
            returning true
            """,
                run_id,
            )
        )

    async def claim_complete(self) -> list[str]:
        """Claim running runs whose set is already complete: the last batch was loaded before
        the lister had recorded the total (a run with no ticker batch, say)."""
        rows = await self._pool.fetch(
            f"""
            update control.runs r set status = '{RunStatus.TRANSFORMING}',
                transform_started_at = now(), transform_heartbeat = now(), updated_at = now()
            where r.status = '{RunStatus.RUNNING}' and r.total_batches is not null
              and ({_DONE.format(run="r.run_id")}) >= r.total_batches
            returning r.run_id
            """
        )
        return [r["run_id"] for r in rows]

    async def take_over_stale(self, stale_after_s: float) -> list[str]:
        """Claim runs whose transformer stopped renewing its claim (it died during dbt)."""
        rows = await self._pool.fetch(
            "update control.runs set transform_heartbeat = now(), updated_at = now()"
            f" where status = '{RunStatus.TRANSFORMING}'"
            " and transform_heartbeat < now() - make_interval(secs => $1) returning run_id",
            stale_after_s,
        )
        return [r["run_id"] for r in rows]

    async def heartbeat(self, run_ids: list[str]) -> None:
        """Renew the claims of the runs this process holds (building or waiting to)."""
        await self._pool.execute(
            "update control.runs set transform_heartbeat = now()"
            f" where run_id = any($1) and status = '{RunStatus.TRANSFORMING}'",
            run_ids,
        )

    async def dbt_progress(self, run_id: str, done: int, total: int | None) -> None:
        """dbt's nodes done of the build's total, while the run transforms (read by the CLI)."""
        await self._pool.execute(
            "update control.runs set dbt_progress = jsonb_build_object('done', $2::int,"
            f" 'total', $3::int) where run_id = $1 and status = '{RunStatus.TRANSFORMING}'",
            run_id,
            done,
            total,
        )

    async def fail_stalled(
        self, stall_after_s: float, events: Callable[[str, str], list[OutboxMessage]]
    ) -> list[tuple[str, str]]:
        """Fail running runs with no progress for too long, naming what never arrived; their
        `events(run_id, reason)` go into the outbox in the same transaction."""
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(_FAIL_STALLED, stall_after_s, list(UNFINISHED_STATUSES))
            await write_outbox(conn, [m for r in rows for m in events(r["run_id"], r["reason"])])
        return [(r["run_id"], r["reason"]) for r in rows]

    async def unloaded(self, quiet_for_s: float) -> dict[str, set[str]]:
        """The listed batches not loaded yet of the running runs with no progress for
        `quiet_for_s`: the reconciler looks for their objects."""
        rows = await self._pool.fetch(_UNLOADED, quiet_for_s)
        out: dict[str, set[str]] = {}
        for r in rows:
            out.setdefault(r["run_id"], set()).add(r["batch_id"])
        return out

    async def summary(self, run_id: str) -> dict[str, Any]:
        row = await self._pool.fetchrow(
            """
            select r.total_batches, r.tickers_total,
                (select count(*) from control.ticker_errors e where e.run_id = r.run_id) as failed,
                (select coalesce(sum(bars_loaded), 0) from control.batches b
                 where b.run_id = r.run_id and b.batch_id <> $2) as bars
            from control.runs r where r.run_id = $1
            """,
            run_id,
            TICKERS_BATCH_ID,
        )
        return dict(row) if row else {}

    async def finish(
        self,
        run_id: str,
        status: RunStatus,
        reason: str | None,
        dbt: DbtOutcome,
        events: list[OutboxMessage],
    ) -> None:
        """End the run, store every dbt test's result and put the events that announce it in
        the outbox, in one transaction."""
        async with self._pool.acquire() as conn, conn.transaction():
            await write_outbox(conn, events)
            await conn.execute(
                "update control.runs set status = $2, reason = $3, dbt_result = $4::jsonb,"
                " source_freshness = $5::jsonb, finished_at = now(), updated_at = now()"
                " where run_id = $1",
                run_id,
                status.value,
                reason,
                json.dumps(dbt.as_json()),
                json.dumps(freshness_json(list(dbt.freshness))) if dbt.freshness else None,
            )
            # A resumed run builds again: its second build's results replace the first's.
            await conn.executemany(
                "insert into control.run_test_results (run_id, unique_id, status, failures,"
                " message, new_failures, known_failures, acknowledged_failures)"
                " values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (run_id, unique_id) do update"
                " set status = excluded.status, failures = excluded.failures,"
                " message = excluded.message, new_failures = excluded.new_failures,"
                " known_failures = excluded.known_failures,"
                " acknowledged_failures = excluded.acknowledged_failures",
                [
                    (run_id, t.unique_id, t.status, t.failures, t.message, *_triage(t.triage))
                    for t in dbt.tests
                ],
            )

    async def failing_rows(self, relation_name: str, limit: int) -> list[dict[str, Any]]:
        if not _RELATION.match(relation_name):
            raise ValueError(f"not a relation name: {relation_name!r}")
        rows = await self._pool.fetch(
            f"select to_jsonb(t)::text as row from {relation_name} as t limit $1", limit
        )
        return [json.loads(r["row"]) for r in rows]

    async def previous_failures(self, run_id: str) -> set[tuple[str, str]]:
        rows = await self._pool.fetch(_PREVIOUS_FAILURES, run_id)
        return {(r["test_name"], r["fingerprint"]) for r in rows}

    async def acknowledgements(self) -> set[tuple[str, str]]:
        rows = await self._pool.fetch(
            "select test_name, failure_key from control.acknowledged_failures"
            " where revoked_at is null"
        )
        return {(r["test_name"], r["failure_key"]) for r in rows}

    async def record_failures(self, run_id: str, failures: list[Failure]) -> None:
        """The run's build's failures and the time that marks it as the latest build, in one
        transaction (a later build finds all of them or none)."""
        async with self._pool.acquire() as conn, conn.transaction():
            at = await conn.fetchval(
                "update control.runs set tests_triaged_at = clock_timestamp() where run_id = $1"
                " returning tests_triaged_at",
                run_id,
            )
            await conn.executemany(
                "insert into control.test_failures (run_id, test_name, fingerprint, failure_key,"
                " state, triaged_at) values ($1, $2, $3, $4, $5, $6)"
                " on conflict (run_id, test_name, fingerprint) do update"
                " set failure_key = excluded.failure_key, state = excluded.state,"
                " triaged_at = excluded.triaged_at",
                [(run_id, f.test_name, f.fingerprint, f.key, f.state.value, at) for f in failures],
            )

    async def outbox_pending(self, limit: int = 500) -> list[PendingMessage]:
        rows = await self._pool.fetch(
            "select id, topic, key, payload::text as payload from control.outbox"
            " where published_at is null order by id limit $1",
            limit,
        )
        return [PendingMessage(r["id"], r["topic"], r["key"], r["payload"]) for r in rows]

    async def outbox_published(self, ids: list[int]) -> None:
        await self._pool.execute(
            "update control.outbox set published_at = now() where id = any($1)", ids
        )

    @contextlib.asynccontextmanager
    async def dbt_lock(self) -> AsyncIterator[SessionLock]:
        """Hold the deployment-wide dbt lock: two builds never write the marts at once. A lost
        connection releases a session lock by itself, so an unlock that fails is only logged."""
        async with self._pool.acquire() as conn:
            await conn.execute("select pg_advisory_lock($1)", DBT_LOCK_KEY)
            try:
                yield SessionLock(conn)
            finally:
                try:
                    await conn.execute("select pg_advisory_unlock($1)", DBT_LOCK_KEY)
                except Exception as exc:
                    log.warning("dbt_unlock_failed", error=f"{type(exc).__name__}: {exc}"[:300])


def _triage(counts: FailureCounts | None) -> tuple[int | None, int | None, int | None]:
    if counts is None:
        return None, None, None
    return counts.new, counts.known, counts.acknowledged


class SessionLock:
    """The dbt lock as held by one session (`DbtLock`)."""

    def __init__(self, conn: asyncpg.pool.PoolConnectionProxy) -> None:
        self._conn = conn

    async def survived(self) -> bool:
        # The lock lives exactly as long as its session: if the session still answers, the
        # database did not restart under the build.
        try:
            await self._conn.fetchval("select 1", timeout=10)
        except Exception as exc:
            log.warning("dbt_lock_lost", error=f"{type(exc).__name__}: {exc}"[:300])
            return False
        return True
