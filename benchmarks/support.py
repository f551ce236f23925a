"""What the benchmarks share: peak RSS of a process, child processes that answer in JSON, a plain
COPY to compare the loader with, and a simulator + bucket + database of their own."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import asyncpg
import httpx
from aiokafka import ConsumerRecord
from pydantic import ValidationError

from shared.clients.dbt import dbt_environment
from shared.db.control import TICKERS_BATCH_ID, RunStatus
from shared.messages import ObjectCreated
from shared.messages.raw_objects import batch_of
from shared.settings import PostgresAdminSettings, PostgresSettings

REPO = Path(__file__).resolve().parents[1]


def peak_rss_mb(pid: int) -> float | None:
    """VmHWM of a live process: the most resident memory it ever had, in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def child_json(script: str, kind: str, config: dict[str, Any]) -> dict[str, Any]:
    """Run `script --child kind` in a fresh interpreter; its last stdout line is JSON."""
    out = subprocess.run(
        [sys.executable, script, "--child", kind, "--config", json.dumps(config)],
        cwd=REPO,
        check=True,
        stdout=subprocess.PIPE,
    ).stdout
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


Connect = Callable[[], Awaitable[asyncpg.Connection]]


async def plain_copy_rows_per_s(connect: Connect) -> tuple[float, int]:
    """raw.stock_bars_daily's rows COPYed into a fresh table of the same shape (its indexes
    too): the floor the loader is compared with."""
    conn = await connect()
    try:
        records = await conn.fetch("select * from raw.stock_bars_daily")
        await conn.execute("drop table if exists raw.bench_copy")
        await conn.execute("create table raw.bench_copy (like raw.stock_bars_daily including all)")
        columns = list(records[0].keys())
        rows = [tuple(r) for r in records]
        del records
        start = time.perf_counter()
        await conn.copy_records_to_table(
            "bench_copy", schema_name="raw", records=rows, columns=columns
        )
        elapsed = time.perf_counter() - start
        await conn.execute("drop table raw.bench_copy")
        return len(rows) / elapsed, len(rows)
    finally:
        await conn.close()


class Environment:
    """The simulator on a free port, a plain bucket (no notifications: nothing else loads it)
    and a bootstrapped database; all removed on exit."""

    def __init__(self, sim_env: dict[str, str], bucket: str, database: str) -> None:
        from shared.clients.storage import minio_client
        from shared.settings import MinioSettings, PostgresAdminSettings, PostgresSettings
        from testbed.pipeline import free_port

        self.bucket, self.database = bucket, database
        self._minio = minio_client(MinioSettings())
        self._admin = PostgresAdminSettings()
        self._pg = PostgresSettings().model_copy(update={"database": database})
        port = free_port()
        self.sim_url = f"http://127.0.0.1:{port}"
        self._sim_env = {**os.environ, **sim_env, "SIM_PORT": str(port)}
        self._sim: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        from shared.bootstrap import bootstrap_database

        self._minio.make_bucket(self.bucket)
        asyncio.run(bootstrap_database(self._pg, self._admin))
        self._sim = subprocess.Popen(
            [sys.executable, "-m", "services.polygon_sim"],
            env=self._sim_env,
            cwd=REPO,
            start_new_session=True,
        )
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.sim_url}/_sim/stats", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            assert self._sim.poll() is None, "simulator exited"
            time.sleep(0.3)
        raise TimeoutError("simulator did not start")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        from testbed.stack import drop_database

        if self._sim is not None:
            self._sim.terminate()
            self._sim.wait(15)
        asyncio.run(drop_database(self._pg, self._admin))
        for obj in self._minio.list_objects(self.bucket, recursive=True):
            self._minio.remove_object(self.bucket, obj.object_name)
        self._minio.remove_bucket(self.bucket)

    async def connect(self) -> asyncpg.Connection:
        return await asyncpg.connect(
            host=self._pg.host,
            port=self._pg.port,
            database=self.database,
            user=self._admin.user,
            password=self._admin.password.get_secret_value(),
        )

    async def add_run(self, run_id: str) -> None:
        """The loader loads only objects of a known run."""
        conn = await self.connect()
        try:
            await conn.execute(
                "insert into control.runs (run_id, request, status) values ($1, '{}', $2)"
                " on conflict do nothing",
                run_id,
                RunStatus.RUNNING,
            )
        finally:
            await conn.close()

    def tickers(self, n: int) -> list[str]:
        """The `n` listings with the longest history: the heaviest lines."""
        rows = httpx.get(f"{self.sim_url}/_sim/truth/tickers", timeout=120).json()["results"]
        rows.sort(key=lambda r: (r["first_bar_date"], r["ticker"]))
        rows.sort(key=lambda r: r["last_bar_date"], reverse=True)
        return [r["ticker"] for r in rows[:n]]

    def object_size(self, key: str) -> int:
        return int(self._minio.stat_object(self.bucket, key).size or 0)


# --- whole-pipeline runs ------------------------------------------------------------------------

STAGES = f"""
select extract(epoch from r.listed_at - r.requested_at) as listing,
       extract(epoch from max(b.fetched_at) - r.listed_at) as fetching,
       extract(epoch from max(b.loaded_at) - r.listed_at) as fetch_and_load,
       extract(epoch from r.finished_at - r.transform_started_at) as dbt,
       extract(epoch from r.finished_at - r.requested_at) as end_to_end,
       coalesce(sum(b.bars_loaded) filter (where b.batch_id <> '{TICKERS_BATCH_ID}'), 0) as bars,
       r.api_requests + coalesce(sum(b.api_requests), 0) as api_requests
from control.runs r join control.batches b using (run_id)
where r.run_id = $1 group by r.run_id
"""


BATCH_TIMELINE = """
select b.batch_id, cardinality(b.tickers) as tickers, b.api_requests, b.bars_loaded,
       round(extract(epoch from b.fetched_at - r.listed_at)::numeric, 2) as fetched_s,
       round(extract(epoch from b.loaded_at - r.listed_at)::numeric, 2) as loaded_s
from control.runs r join control.batches b using (run_id)
where r.run_id = $1 order by b.loaded_at nulls last
"""


async def batch_timeline(connect: Connect, run_id: str) -> list[dict[str, Any]]:
    """Each batch of a run: when it was fetched and loaded, in seconds after the listing."""
    conn = await connect()
    try:
        return [dict(r) for r in await conn.fetch(BATCH_TIMELINE, run_id)]
    finally:
        await conn.close()


def notification_delays(
    records: Iterable[ConsumerRecord[bytes, bytes]], objects_prefix: str
) -> dict[str, float]:
    """For each object under `objects_prefix` (a run's, raw_objects.run_prefix) whose
    object-created event is among `records`: seconds from its creation (the event's eventTime,
    MinIO's clock) to the event's arrival on Kafka (the record's timestamp, set by MinIO's
    producer), by batch id. Same machine, same clock."""
    delays = {}
    for record in records:
        try:
            event = ObjectCreated.model_validate_json(record.value or b"")
        except ValidationError:
            continue
        created = event.record.event_time
        if created is None or not event.key.startswith(objects_prefix):
            continue
        at = datetime.fromisoformat(created.replace("Z", "+00:00")).timestamp()
        delays[batch_of(event.key)] = round(record.timestamp / 1000 - at, 2)
    return delays


async def stage_times(connect: Connect, run_id: str) -> dict[str, float]:
    """A run's stages from control.runs and control.batches, in seconds, plus bars and requests."""
    conn = await connect()
    try:
        row = await conn.fetchrow(STAGES, run_id)
        return {k: float(v or 0) for k, v in dict(row or {}).items()}
    finally:
        await conn.close()


def loader_lines(
    log: Path, run_id: str | None, events: tuple[str, ...]
) -> Iterator[dict[str, Any]]:
    """A loader's log entries of the given events (of one run when `run_id` is given)."""
    wanted = [f'"{e}"'.encode() for e in events]
    for line in log.read_bytes().splitlines():
        if any(w in line for w in wanted) and (run_id is None or run_id.encode() in line):
            entry: dict[str, Any] = json.loads(line)
            if entry.get("event") in events and (run_id is None or entry.get("run_id") == run_id):
                yield entry


def bar_loads(logs: list[Path], run_id: str | None = None) -> Iterator[dict[str, Any]]:
    """The loaders' own `object_loaded` lines of bars objects (of one run when `run_id` is
    given)."""
    for log in logs:
        for entry in loader_lines(log, run_id, ("object_loaded",)):
            if entry.get("kind") == "daily_bars":
                yield entry


def loader_rows_per_s(logs: list[Path], run_id: str | None = None) -> tuple[float, int]:
    """Rows over the time spent inside Loader.load, each loader's time added up."""
    loads = list(bar_loads(logs, run_id))
    rows = sum(entry["rows"] for entry in loads)
    seconds = sum(entry["duration_s"] for entry in loads)
    return (rows / seconds if seconds else 0.0), rows


def loaders_together_rows_per_s(logs: list[Path], run_id: str | None = None) -> float:
    """Rows over the time at least one loader was inside Loader.load. loader_rows_per_s adds
    up each loader's own time, so two loaders at work side by side count it twice: that is one
    loader's pace beside the others, this is what they load together, the figure a plain COPY
    on one connection compares with."""
    loads = list(bar_loads(logs, run_id))
    busy = covered_seconds([_load_span(entry) for entry in loads])
    return sum(entry["rows"] for entry in loads) / busy if busy else 0.0


def _load_span(entry: dict[str, Any]) -> tuple[float, float]:
    """A load's (start, end): the line is logged as it ends, with its duration."""
    end = datetime.fromisoformat(entry["timestamp"]).timestamp()
    return end - entry["duration_s"], end


def covered_seconds(spans: list[tuple[float, float]]) -> float:
    """The length of the union of (start, end) spans: overlaps counted once."""
    total, reach = 0.0, float("-inf")
    for start, end in sorted(spans):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


def dbt_breakdown(log: Path, run_id: str) -> dict[str, Any]:
    """Where a run's dbt stage went, from the transformer's own lines: dbt's elapsed time and
    the build's wall time, its slowest nodes, then source freshness and triage."""
    found: dict[str, Any] = {}
    for line in log.read_bytes().splitlines():
        if run_id.encode() not in line:
            continue
        entry = json.loads(line)
        if entry.get("run_id") != run_id:
            continue
        if entry.get("event") == "dbt_built":
            found["dbt_build_elapsed_s"] = entry.get("elapsed_s")
            found["dbt_build_wall_s"] = entry.get("wall_s")
            found["dbt_slowest"] = entry.get("slowest")
        elif entry.get("event") == "sources_checked":
            found["freshness_s"] = entry.get("elapsed_s")
        elif entry.get("event") == "failures_triaged":
            found["triage_s"] = entry.get("elapsed_s")
    return found


def peak_rss_by_kind(pids: dict[str, int]) -> dict[str, float | None]:
    """The largest VmHWM among each service's replicas (`fetcher-2` is a fetcher)."""
    peaks: dict[str, float | None] = {}
    for name, pid in pids.items():
        kind = name.rsplit("-", 1)[0]
        peak = peak_rss_mb(pid)
        if peak is not None:
            peaks[kind] = max(peak, peaks.get(kind) or 0.0)
    return peaks


def other_pipelines() -> list[int]:
    """Pids of service processes already running: they share the consumer groups, so a second
    pipeline's messages would be split between the two."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"run" in cmd and any(c.startswith(b"services.") for c in cmd):
                pids.append(int(entry.name))
    return pids


def wait_until_alone(timeout_s: float) -> None:
    """Wait for other pipelines (e2e tests, another benchmark) to finish, or give up loudly."""
    deadline = time.monotonic() + timeout_s
    while pids := other_pipelines():
        if time.monotonic() > deadline:
            raise SystemExit(f"other pipeline services are running (pids {pids}); try later")
        print(f"waiting for other pipeline services to finish (pids {pids})", flush=True)
        time.sleep(15)


def straight_share(logs: list[Path]) -> float | None:
    """The share of bar rows the loaders COPYed straight into the table (the rest was staged
    and upserted), from their `bars_written` lines; None for a loader that does not say."""
    straight, rows = 0, 0
    for log in logs:
        for line in log.read_bytes().splitlines():
            if b'"bars_written"' in line:
                entry = json.loads(line)
                straight += entry["copied_straight"]
                rows += entry["rows"]
    return round(straight / rows, 3) if rows else None


# Every load time in the warehouse: raw's loaded_at, what dbt derived from it, and dbt's build
# marks. Control's run records are left alone: no build reads them to scope its work.
_LOAD_TIMES = """
select c.table_schema, c.table_name, array_agg(c.column_name::text order by c.column_name)
from information_schema.columns c
join information_schema.tables t using (table_schema, table_name)
where c.table_schema in ('raw', 'intermediate', 'marts')
  and t.table_type = 'BASE TABLE'
  and c.data_type = 'timestamp with time zone'
group by c.table_schema, c.table_name
order by 1, 2
"""


async def age_warehouse(connect: Connect, hours: float) -> list[str]:
    """Move every load time of the warehouse `hours` into the past: the day that passes between
    a backfill and the next daily run, without waiting it. Without it a daily run started
    minutes after a backfill is not the one users see: the data tests that check the rows
    loaded within `tested_rows_window` (6 hours) of the newest would test the whole backfill
    again. The update leaves what a day would not, so it is undone before the daily run:
    - the update writes a new version of every row: each table ends twice its size, and its
      indexes too, until VACUUM FULL rewrites it compact (in heap order, as the update left it);
    - a day later the server has long written the pages the update dirtied: a CHECKPOINT (a
      5-year daily run at cc67529 ran inside that write, a checkpoint of 320 MB over 92 s).
    The tables aged, as schema.table."""
    conn = await connect()
    try:
        aged = []
        for schema, table, columns in await conn.fetch(_LOAD_TIMES):
            shift = ", ".join(f'"{c}" = "{c}" - interval \'{hours} hours\'' for c in columns)
            await conn.execute(f'update "{schema}"."{table}" set {shift}')
            await conn.execute(f'vacuum (full, analyze) "{schema}"."{table}"')
            aged.append(f"{schema}.{table}")
        await conn.execute("checkpoint")
        return aged
    finally:
        await conn.close()


def run_dbt(pg: PostgresSettings, work: Path, command: str, *args: str) -> Path:
    """`dbt <command> <args>` on our project, connected as `pg`, its target and logs under
    `work`; the target directory. A failure ends the benchmark with dbt's last lines."""
    target = work / "target"
    paths = ["--target-path", str(target), "--log-path", str(work / "logs")]
    project = ["--project-dir", "dbt", "--profiles-dir", "dbt"]
    done = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), command, *project, *args, *paths],
        cwd=REPO,
        env=dbt_environment(pg),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"dbt {command} failed:\n{done.stdout[-4000:]}{done.stderr[-2000:]}")
    return target


def refingerprint_factors(pg: PostgresSettings, work: Path) -> None:
    """After age_warehouse: int_adjustment_factors keeps, per ticker, a fingerprint of its
    events that hashes their load times, which the aging moved and a day does not. Left so,
    the next build writes every ticker's ranges again. The table is rebuilt (dbt, as the
    transform role, that model alone), so it holds what a build of the aged events would have
    written a day earlier. `pg`: the warehouse's database."""
    transform = pg.model_copy(
        update={"user": "elt_transform", "password": PostgresAdminSettings().transform_password}
    )
    run_dbt(transform, work, "run", "--select", "int_adjustment_factors", "--full-refresh")
