"""Driving the compose project as a user would: a run request produced to its Kafka (as Kafka UI's
"Produce message" does), the run read from its Postgres on PG_HOST_PORT, the simulator's truth
asked inside the compose network, and the replicas' own logs and metrics."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import Counter
from datetime import date
from typing import Any

import asyncpg

from shared.db.control import FINAL_STATUSES, RunStatus
from shared.messages import topics
from tests.e2e.warehouse import Bars, as_truth, truth_tuples

from .project import Compose

_RAW = """select ticker, trading_date, open, high, low, close, volume, vwap, transactions
          from raw.stock_bars_daily where not adjusted and trading_date between $1 and $2
          order by ticker, trading_date"""
_LOG_LINE = re.compile(r"^(?P<container>\S+)\s+\|\s+(?P<json>\{.*\})\s*$")


def dotenv(c: Compose) -> dict[str, str]:
    lines = (c.workdir / ".env").read_text().splitlines()
    pairs = (line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))
    return {k.strip(): v.strip() for k, v in pairs}


def request_run(c: Compose, run_id: str, start: date, end: date, **fields: Any) -> None:
    """The JSON a user types into Kafka UI, produced with Kafka's console producer."""
    body = {"run_id": run_id, "from": start.isoformat(), "to": end.isoformat(), **fields}
    c.run(
        "exec", "-T", "kafka", "kafka-console-producer.sh", "--bootstrap-server", "kafka:9092",
        "--topic", topics.RUN_REQUESTS, stdin=json.dumps(body) + "\n",
    )  # fmt: skip


async def connect(c: Compose) -> asyncpg.Connection:
    env = dotenv(c)
    return await asyncpg.connect(
        host="127.0.0.1",
        port=int(env["PG_HOST_PORT"]),
        user=env["PG_ADMIN_USER"],
        password=env["PG_ADMIN_PASSWORD"],
        database=env["PG_DATABASE"],
    )


async def wait_finished(c: Compose, run_id: str, timeout_s: float = 600) -> str:
    conn = await connect(c)
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            status = await conn.fetchval(
                "select status from control.runs where run_id = $1", run_id
            )
            if status is not None and RunStatus(status) in FINAL_STATUSES:
                return str(status)
            await asyncio.sleep(2)
    finally:
        await conn.close()
    raise TimeoutError(f"run {run_id} did not finish in {timeout_s} s")


async def loaded(c: Compose, run_id: str, start: date, end: date) -> tuple[list[str], Bars]:
    """The tickers the run's bar batches named, and the raw bars stored for the range."""
    conn = await connect(c)
    try:
        tickers = await conn.fetch(
            "select unnest(tickers) as t from control.batches where run_id = $1"
            " and command->>'actions' is null order by 1",
            run_id,
        )
        rows = await conn.fetch(_RAW, start, end)
    finally:
        await conn.close()
    return [r["t"] for r in tickers], as_truth(list(rows))


def truth(c: Compose, tickers: list[str], start: date, end: date) -> Bars:
    """The simulator's as-traded bars, asked from inside its own container."""
    url = (
        f"http://127.0.0.1:8800/_sim/truth/bars?tickers={','.join(tickers)}"
        f"&from={start.isoformat()}&to={end.isoformat()}&adjusted=false"
    )
    script = (
        "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())"
    )
    body = json.loads(c.exec("polygon-sim", "python", "-c", script, url))
    return truth_tuples(body["bars"])


def metric(c: Compose, service: str, name: str, index: int = 1) -> float:
    """One sample of a replica's /metrics (0 when absent)."""
    script = (
        "import urllib.request; "
        "print(urllib.request.urlopen('http://127.0.0.1:9400/metrics').read().decode())"
    )
    for line in c.exec(service, "python", "-c", script, index=index).splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def work_per_replica(
    c: Compose, service: str, run_id: str, event: str, **fields: str
) -> Counter[str]:
    """How many `event` lines (with `fields`) each replica of `service` logged for the run."""
    counts: Counter[str] = Counter()
    for line in c.run("logs", "--no-color", service).stdout.splitlines():
        m = _LOG_LINE.match(line)
        if m is None:
            continue
        try:
            entry = json.loads(m["json"])
        except json.JSONDecodeError:
            continue
        wanted = {"run_id": run_id, "event": event, **fields}
        if all(entry.get(k) == v for k, v in wanted.items()):
            counts[m["container"]] += 1
    return counts
