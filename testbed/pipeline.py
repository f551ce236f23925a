"""The whole pipeline as real processes, for the e2e tier and the benchmarks: the simulator and
every service, on a database and bucket of their own, driven through Kafka like a user would."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer

from services.cli.processes import Replica, Supervisor, replicas
from shared.bootstrap import bootstrap_database, bootstrap_storage, bootstrap_topics
from shared.bootstrap.storage_users import revoke_bucket_access
from shared.clients.storage import minio_client
from shared.db.control import FINAL_STATUSES, RunStatus
from shared.messages import topics
from shared.observability import replica_port
from shared.observability._settings import PORT_OFFSETS
from shared.settings import (
    KafkaSettings,
    MinioSettings,
    PostgresAdminSettings,
    PostgresSettings,
    StackSettings,
)
from testbed.kafka_tail import commit_groups_to_end
from testbed.names import unique, unique_db
from testbed.stack import drop_database

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def metrics_base(replicas_per_service: int = 3) -> int:
    """A METRICS_PORT base whose replica ports are all free here, so the pipeline's /metrics
    never collide with services a user runs on this machine (their base is 9400)."""
    for base in range(20_000, 30_000, 100):
        ports = [base + o + i for o in PORT_OFFSETS.values() for i in range(replicas_per_service)]
        if all(_port_free(p) for p in ports):
            return base
    raise RuntimeError("no free block of metrics ports")


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class Pipeline:
    """Handles on a running pipeline; `pg` connects as the admin to the test database."""

    pg: PostgresSettings
    admin_password: str
    kafka: str
    sim_url: str
    supervisor: Supervisor
    env: dict[str, str]
    sim: subprocess.Popen[bytes] | None = None
    started: list[Replica] = field(default_factory=list)

    def metrics_url(self, service: str, index: int = 1) -> str:
        """Where a replica of this pipeline (the simulator too) serves /metrics."""
        port = replica_port(int(self.env["METRICS_PORT"]), service, index)
        return f"http://127.0.0.1:{port}/metrics"

    async def connect(self) -> asyncpg.Connection:
        return await asyncpg.connect(
            host=self.pg.host,
            port=self.pg.port,
            database=self.pg.database,
            user="postgres",
            password=self.admin_password,
        )

    async def publish_raw(self, topic: str, body: bytes, key: bytes | None = None) -> None:
        """Like kcat: bytes, no headers."""
        producer = AIOKafkaProducer(bootstrap_servers=self.kafka)
        await producer.start()
        try:
            await producer.send_and_wait(topic, body, key=key)
        finally:
            await producer.stop()

    async def request_run(self, **fields: Any) -> str:
        run_id = fields.setdefault("run_id", f"e2e-{time.monotonic_ns()}")
        body = json.dumps(
            {k: v.isoformat() if isinstance(v, date) else v for k, v in fields.items()}
        ).encode()
        await self.publish_raw(topics.RUN_REQUESTS, body)
        return str(run_id)

    async def wait_finished(self, run_id: str, timeout_s: float = 240) -> asyncpg.Record:
        conn = await self.connect()
        try:
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                row = await conn.fetchrow("select * from control.runs where run_id = $1", run_id)
                if row is not None and RunStatus(row["status"]) in FINAL_STATUSES:
                    return row
                await asyncio.sleep(0.5)
        finally:
            await conn.close()
        raise TimeoutError(
            f"run {run_id} did not finish in {timeout_s} s; logs: "
            f"{self.supervisor.log(Replica('transformer', 1))}"
        )

    def truth(
        self, tickers: list[str], start: date, end: date, adjusted: bool = False
    ) -> dict[str, list[dict[str, Any]]]:
        """The simulator's bars at its clock: as traded, or split-adjusted as the API adjusts."""
        bars: dict[str, list[dict[str, Any]]] = {}
        for i in range(0, len(tickers), 200):
            r = httpx.get(
                f"{self.sim_url}/_sim/truth/bars",
                params={
                    "tickers": ",".join(tickers[i : i + 200]),
                    "from": start.isoformat(),
                    "to": end.isoformat(),
                    "adjusted": "true" if adjusted else "false",
                },
                timeout=30,
            )
            r.raise_for_status()
            bars.update(r.json()["bars"])
        return bars

    def events(self, kind: str, tickers: list[str], start: date, end: date) -> list[dict[str, Any]]:
        """The simulator's splits or dividends known at its clock, as its endpoints serve them."""
        r = httpx.get(
            f"{self.sim_url}/_sim/truth/{kind}",
            params={"tickers": ",".join(tickers), "from": start.isoformat(), "to": end.isoformat()},
            timeout=30,
        )
        r.raise_for_status()
        events: list[dict[str, Any]] = r.json()[kind]
        return events

    def set_clock(self, today: date) -> None:
        """Move the simulator's today forward: more history, newly announced events."""
        r = httpx.post(f"{self.sim_url}/_sim/clock", json={"today": today.isoformat()}, timeout=30)
        r.raise_for_status()

    def start(self, counts: dict[str, int]) -> None:
        wanted = replicas(counts)
        self.supervisor.start(wanted, self.env)
        self.started = wanted

    def kill(self, replica: Replica) -> None:
        """SIGKILL: no clean shutdown, no offset commit."""
        pid = self.supervisor.running().get(replica.name)
        assert pid is not None, f"{replica.name} is not running"
        os.killpg(pid, signal.SIGKILL)
        while replica.name in self.supervisor.running():
            time.sleep(0.05)

    def restart(self, replica: Replica) -> None:
        self.supervisor.start([replica], self.env)

    def start_simulator(self, sim_env: dict[str, str]) -> None:
        env = {**os.environ, **sim_env}
        log = self.supervisor.log(Replica("polygon_sim", 1))
        log.parent.mkdir(parents=True, exist_ok=True)
        self.sim = subprocess.Popen(
            [sys.executable, "-m", "services.polygon_sim"],
            env=env,
            cwd=REPO,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.sim_url}/_sim/stats", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert self.sim.poll() is None, f"simulator exited; see {log}"
            time.sleep(0.2)
        raise TimeoutError("simulator did not start")

    def stop(self) -> None:
        self.supervisor.stop()
        if self.sim is not None:
            self.sim.terminate()
            self.sim.wait(10)


def make_supervisor(state_dir: Path) -> Supervisor:
    return Supervisor(StackSettings(state_dir=state_dir), REPO)


GROUPS = {
    "lister": topics.RUN_REQUESTS,
    "fetcher": topics.TICKER_BATCHES,
    "loader": topics.RAW_OBJECT_EVENTS,
    "transformer": topics.BATCH_LOADED,
}


@contextmanager
def running_pipeline(
    state_dir: Path,
    sim_env: dict[str, str],
    service_env: dict[str, str],
    counts: dict[str, int],
    db_prefix: str = "stocks_e2e",
) -> Iterator[Pipeline]:
    """A database and bucket of its own, consumer groups moved past older messages, then the
    simulator and the services started; everything stopped and dropped afterwards."""
    kafka, minio = KafkaSettings(), MinioSettings()
    admin = PostgresAdminSettings()
    pg = PostgresSettings().model_copy(update={"database": unique_db(db_prefix)})
    bucket = minio.model_copy(update={"bucket": unique("e2e")})

    async def prepare() -> None:
        await bootstrap_topics(kafka)
        await bootstrap_storage(bucket)
        await bootstrap_database(pg, admin)
        await commit_groups_to_end(kafka.bootstrap_servers, GROUPS)

    asyncio.run(prepare())
    sim_port = free_port()
    sim_url = f"http://127.0.0.1:{sim_port}"
    metrics = metrics_base()
    env = {
        "METRICS_PORT": str(metrics),
        "PG_DATABASE": pg.database,
        "MINIO_BUCKET": bucket.bucket,
        "POLYGON_BASE_URL": sim_url,
        "POLYGON_API_KEY": "demo-key",
        **service_env,
    }
    p = Pipeline(
        pg,
        admin.password.get_secret_value(),
        kafka.bootstrap_servers,
        sim_url,
        make_supervisor(state_dir),
        env,
    )
    try:
        sim_metrics = replica_port(metrics, "polygon_sim", 1)
        p.start_simulator({"SIM_PORT": str(sim_port), "METRICS_PORT": str(sim_metrics), **sim_env})
        p.start(counts)
        yield p
    finally:
        p.stop()
        asyncio.run(drop_database(pg, admin))
        client = minio_client(bucket)
        for obj in client.list_objects(bucket.bucket, recursive=True):
            client.remove_object(bucket.bucket, obj.object_name)
        client.remove_bucket(bucket.bucket)
        revoke_bucket_access(bucket)
