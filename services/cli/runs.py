"""Reading runs back from the control tables: their progress, batches, failed tickers and dbt
tests, for `stocks-elt status` and `run --wait`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from shared.clients.db import connect
from shared.db.control import FINAL_STATUSES, TICKERS_BATCH_ID, RunStatus
from shared.settings import PostgresSettings


@dataclass(frozen=True)
class RunProgress:
    run_id: str
    status: str
    total: int | None
    fetched: int
    loaded: int
    tickers: int | None
    tickers_failed: int
    bars: int
    reason: str | None
    dbt: dict[str, Any] | None
    requested_at: datetime | None
    finished_at: datetime | None
    plan: str | None = None
    plan_reason: str | None = None
    api_requests: int = 0
    request: dict[str, Any] = field(default_factory=dict)
    dbt_progress: dict[str, int] | None = None

    @property
    def finished(self) -> bool:
        return RunStatus(self.status) in FINAL_STATUSES

    @property
    def ended_well(self) -> bool:
        """Finished with its bars, errors or not: `run --wait` exits 0; failed or rejected: 1."""
        return self.finished and self.status not in (RunStatus.FAILED, RunStatus.REJECTED)


@dataclass(frozen=True)
class DataTestProblem:
    """A dbt test of a run that did not pass (control.run_test_results)."""

    run_id: str
    unique_id: str
    status: str
    failures: int | None
    message: str | None
    # Of its failures: not in the previous build, in it, accepted (`stocks-elt ack`); None
    # when they were not told apart.
    new: int | None = None
    known: int | None = None
    acknowledged: int | None = None


@dataclass(frozen=True)
class BatchRow:
    batch_id: str
    kind: str  # listing | ranges | grouped | splits | dividends
    tickers: int
    fetched_at: datetime | None
    loaded_at: datetime | None
    bars: int | None
    api_requests: int | None


_PROGRESS_SQL = f"""
select r.run_id, r.status, r.total_batches, r.tickers_total, r.reason, r.dbt_result,
       r.requested_at, r.finished_at, r.plan, r.plan_reason, r.request, r.dbt_progress,
       r.api_requests + coalesce(sum(b.api_requests), 0) as api_requests,
       count(b.fetched_at) filter (where b.listed) as fetched,
       count(b.loaded_at) filter (where b.listed) as loaded,
       coalesce(sum(b.bars_loaded) filter (where b.batch_id <> '{TICKERS_BATCH_ID}'), 0) as bars,
       (select count(*) from control.ticker_errors e where e.run_id = r.run_id) as failed
from control.runs r left join control.batches b on b.run_id = r.run_id
where {{where}}
group by r.run_id order by r.requested_at desc limit $1
"""

_BATCHES_SQL = f"""
select batch_id, cardinality(tickers) as tickers, fetched_at, loaded_at, bars_loaded,
       api_requests, command->>'actions' as actions,
       coalesce(jsonb_typeof(command->'days') = 'array', false) as grouped
from control.batches where run_id = $1 and listed
order by batch_id <> '{TICKERS_BATCH_ID}', (command->>'seq')::int, batch_id
"""


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _progress(row: asyncpg.Record) -> RunProgress:
    return RunProgress(
        row["run_id"],
        row["status"],
        row["total_batches"],
        row["fetched"],
        row["loaded"],
        row["tickers_total"],
        row["failed"],
        row["bars"],
        row["reason"],
        _json(row["dbt_result"]),
        row["requested_at"],
        row["finished_at"],
        row["plan"],
        row["plan_reason"],
        int(row["api_requests"] or 0),
        _json(row["request"]) or {},
        _json(row["dbt_progress"]),
    )


def _batch(row: asyncpg.Record) -> BatchRow:
    if row["batch_id"] == TICKERS_BATCH_ID:
        # The listing's "bars" are the reference rows it stored, one per ticker of the run.
        listed = row["bars_loaded"] or 0
        return BatchRow(
            TICKERS_BATCH_ID, "listing", listed, row["fetched_at"], row["loaded_at"], None, 0
        )
    return BatchRow(
        row["batch_id"],
        row["actions"] or ("grouped" if row["grouped"] else "ranges"),
        row["tickers"],
        row["fetched_at"],
        row["loaded_at"],
        row["bars_loaded"],
        row["api_requests"],
    )


class RunReader:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    @classmethod
    async def connect(cls, pg: PostgresSettings) -> RunReader:
        return cls(await connect(pg))

    async def close(self) -> None:
        await self._conn.close()

    async def run(self, run_id: str) -> RunProgress | None:
        rows = await self._conn.fetch(_PROGRESS_SQL.format(where="r.run_id = $2"), 1, run_id)
        return _progress(rows[0]) if rows else None

    async def recent(self, limit: int = 20) -> list[RunProgress]:
        rows = await self._conn.fetch(_PROGRESS_SQL.format(where="true"), limit)
        return [_progress(r) for r in rows]

    async def batches(self, run_id: str) -> list[BatchRow]:
        return [_batch(r) for r in await self._conn.fetch(_BATCHES_SQL, run_id)]

    async def ticker_errors(self, run_id: str, limit: int = 20) -> list[tuple[str, str, str]]:
        rows = await self._conn.fetch(
            "select ticker, kind, reason from control.ticker_errors where run_id = $1"
            " order by ticker limit $2",
            run_id,
            limit,
        )
        return [(r["ticker"], r["kind"], r["reason"]) for r in rows]

    async def failed_tickers(self, run_ids: list[str], per_run: int = 5) -> dict[str, list[str]]:
        """The first few failed tickers of each run, each as `TICKER (kind)`."""
        rows = await self._conn.fetch(
            "select run_id, ticker, kind from (select e.*, row_number() over"
            " (partition by run_id order by ticker) as n from control.ticker_errors e"
            " where run_id = any($1::text[])) e where n <= $2 order by run_id, ticker",
            run_ids,
            per_run,
        )
        out: dict[str, list[str]] = {}
        for r in rows:
            out.setdefault(r["run_id"], []).append(f"{r['ticker']} ({r['kind']})")
        return out

    async def test_problems(self, run_ids: list[str], limit: int = 50) -> list[DataTestProblem]:
        """The failed, errored and warned dbt tests of these runs: failures first, newest run
        first."""
        rows = await self._conn.fetch(
            "select t.run_id, t.unique_id, t.status, t.failures, t.message, t.new_failures,"
            " t.known_failures, t.acknowledged_failures"
            " from control.run_test_results t join control.runs r using (run_id)"
            " where t.run_id = any($1::text[]) and t.status in ('fail', 'error', 'warn')"
            " order by t.status = 'warn', r.requested_at desc, t.unique_id limit $2",
            run_ids,
            limit,
        )
        return [DataTestProblem(*r.values()) for r in rows]
