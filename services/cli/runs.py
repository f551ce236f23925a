"""Starting a run (publishing its request) and reading runs back from the control tables."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer

from shared.messages import FINAL_STATUSES, RunRequest, RunStatus, topics
from shared.settings import KafkaSettings, PostgresSettings


def new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


async def publish_request(kafka: KafkaSettings, request: RunRequest) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, acks="all")
    await producer.start()
    try:
        body = request.model_dump_json(by_alias=True, exclude_none=True).encode()
        await producer.send_and_wait(topics.RUN_REQUESTS, body, key=(request.run_id or "").encode())
    finally:
        await producer.stop()


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

    @property
    def finished(self) -> bool:
        return RunStatus(self.status) in FINAL_STATUSES


@dataclass(frozen=True)
class DataTestProblem:
    """A dbt test of a run that did not pass (control.run_test_results)."""

    run_id: str
    unique_id: str
    status: str
    failures: int | None
    message: str | None


_PROGRESS_SQL = """
select r.run_id, r.status, r.total_batches, r.tickers_total, r.reason, r.dbt_result,
       r.requested_at, r.finished_at, r.plan, r.plan_reason,
       r.api_requests + coalesce(sum(b.api_requests), 0) as api_requests,
       count(b.fetched_at) as fetched, count(b.loaded_at) as loaded,
       coalesce(sum(b.bars_loaded) filter (where b.batch_id <> 'tickers'), 0) as bars,
       (select count(*) from control.ticker_errors e where e.run_id = r.run_id) as failed
from control.runs r left join control.batches b on b.run_id = r.run_id
where {where}
group by r.run_id order by r.requested_at desc limit $1
"""


def _progress(row: asyncpg.Record) -> RunProgress:
    dbt = row["dbt_result"]
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
        json.loads(dbt) if isinstance(dbt, str) else dbt,
        row["requested_at"],
        row["finished_at"],
        row["plan"],
        row["plan_reason"],
        int(row["api_requests"] or 0),
    )


class RunReader:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    @classmethod
    async def connect(cls, pg: PostgresSettings) -> RunReader:
        return cls(
            await asyncpg.connect(
                host=pg.host,
                port=pg.port,
                database=pg.database,
                user=pg.user,
                password=pg.password.get_secret_value(),
            )
        )

    async def close(self) -> None:
        await self._conn.close()

    async def run(self, run_id: str) -> RunProgress | None:
        rows = await self._conn.fetch(_PROGRESS_SQL.format(where="r.run_id = $2"), 1, run_id)
        return _progress(rows[0]) if rows else None

    async def recent(self, limit: int = 20) -> list[RunProgress]:
        rows = await self._conn.fetch(_PROGRESS_SQL.format(where="true"), limit)
        return [_progress(r) for r in rows]

    async def ticker_errors(self, run_id: str, limit: int = 20) -> list[tuple[str, str, str]]:
        rows = await self._conn.fetch(
            "select ticker, kind, reason from control.ticker_errors where run_id = $1"
            " order by ticker limit $2",
            run_id,
            limit,
        )
        return [(r["ticker"], r["kind"], r["reason"]) for r in rows]

    async def test_problems(self, run_ids: list[str], limit: int = 50) -> list[DataTestProblem]:
        """The failed, errored and warned dbt tests of these runs: failures first, newest run
        first."""
        rows = await self._conn.fetch(
            "select t.run_id, t.unique_id, t.status, t.failures, t.message"
            " from control.run_test_results t join control.runs r using (run_id)"
            " where t.run_id = any($1::text[]) and t.status in ('fail', 'error', 'warn')"
            " order by t.status = 'warn', r.requested_at desc, t.unique_id limit $2",
            run_ids,
            limit,
        )
        return [
            DataTestProblem(r["run_id"], r["unique_id"], r["status"], r["failures"], r["message"])
            for r in rows
        ]
