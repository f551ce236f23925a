"""What the chaos e2e does to a running pipeline, and how it reads what happened: faults (a
MinIO notification dropped, the transformer killed during dbt) and observations (counts, log
entries, every record of a run on a topic)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient

from services.cli.processes import Replica
from testbed.kafka_tail import end_offsets, tail
from testbed.pipeline import Pipeline

TRANSFORMER = Replica("transformer", 1)


async def until(count: Callable[[], Awaitable[int]], at_least: int, timeout_s: float = 300) -> int:
    """Poll `count` until it reaches `at_least`; Postgres may be restarting meanwhile."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            n = await count()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            n = -1
        if n >= at_least:
            return n
        await asyncio.sleep(0.5)
    raise TimeoutError(f"count stayed under {at_least} for {timeout_s} s")


async def loaded(p: Pipeline, run_id: str) -> int:
    conn = await p.connect()
    try:
        return int(
            await conn.fetchval(
                "select count(loaded_at) from control.batches where run_id = $1", run_id
            )
        )
    finally:
        await conn.close()


async def _status(p: Pipeline, run_id: str) -> str:
    conn = await p.connect()
    try:
        return str(await conn.fetchval("select status from control.runs where run_id = $1", run_id))
    finally:
        await conn.close()


def drop_one_notification(queue: Path, timeout_s: float = 60) -> str:
    """Delete one notification MinIO holds for Kafka (down now) before it is delivered: it is
    lost as a notification is when MinIO loses it. The batch id of the object it announced."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for f in sorted(queue.rglob("*.event"), key=lambda f: f.stat().st_mtime):
            body = f.read_text(errors="replace")
            f.unlink()
            # The queued event is the S3 record: its object key is query-escaped.
            found = re.search(r'"key"\s*:\s*"([^"]*jsonl)"', body, re.IGNORECASE)
            assert found, f"no object key in MinIO's queued event: {body[:300]}"
            return unquote_plus(found.group(1)).rsplit("/", 1)[-1].removesuffix(".jsonl")
        time.sleep(0.2)
    raise TimeoutError(f"MinIO queued no notification in {timeout_s} s while Kafka was down")


async def kill_during_dbt(p: Pipeline, run_id: str, into_s: float = 1.0) -> float:
    """SIGKILL the transformer `into_s` after its dbt build of the run started, no build
    having ended; the seconds from the run turning `transforming` to the kill."""
    await until(lambda: _is(p, run_id, "transforming"), at_least=1)
    took = await into_build(p, run_id, 1, into_s)
    p.kill(TRANSFORMER)
    return took


async def into_build(p: Pipeline, run_id: str, nth: int, into_s: float = 3.0) -> float:
    """Return `into_s` after the run's `nth` dbt build started, no build having ended; the
    seconds waited."""
    log = p.supervisor.log(TRANSFORMER)
    began = time.monotonic()
    while logged_count(log.read_text(errors="replace"), "dbt_build_started", run_id) < nth:
        assert time.monotonic() - began < 240, f"dbt build {nth} never started"
        await asyncio.sleep(0.2)
    await asyncio.sleep(into_s)
    text = log.read_text(errors="replace")
    assert 0 == logged_count(text, "dbt_built", run_id), "dbt ended before the fault"
    return round(time.monotonic() - began, 1)


async def _is(p: Pipeline, run_id: str, status: str) -> int:
    return int(await _status(p, run_id) == status)


def logged_count(log: str, event: str, run_id: str) -> int:
    return len(logged(log, event, run_id))


def logged(log: str, event: str, run_id: str) -> list[dict[str, Any]]:
    """The transformer's log entries of this event for the run."""
    return [
        json.loads(line)
        for line in log.splitlines()
        if line.startswith("{") and f'"{event}"' in line and run_id in line
    ]


async def run_records(kafka: str, topic: str, run_id: str) -> list[bytes]:
    """Every record of the run on `topic`, from the start, redeliveries included."""
    out: list[bytes] = []
    async with tail(kafka, topic, start={}) as t:
        with contextlib.suppress(TimeoutError):
            while True:
                rec = await t.wait_for(lambda r: r.key == run_id.encode(), timeout_s=2)
                out.append(rec.value)
    return out


def by_message_id(records: list[bytes]) -> dict[str, bytes]:
    """One entry per event: at-least-once redeliveries share the message id."""
    return {json.loads(r)["message_id"]: r for r in records}


async def run_problems_and_outbox(p: Pipeline, run_id: str) -> tuple[list[str], int]:
    """The message ids the run's failed, errored and warned tests with new failures (or not
    told apart) must have alerted with, and the outbox rows never relayed."""
    conn = await p.connect()
    try:
        problems = await conn.fetch(
            "select unique_id from control.run_test_results where run_id = $1"
            " and status in ('fail', 'error', 'warn') and coalesce(new_failures, 1) > 0",
            run_id,
        )
        unpublished = await conn.fetchval(
            "select count(*) from control.outbox where published_at is null"
        )
    finally:
        await conn.close()
    return [f"{run_id}/{r['unique_id']}" for r in problems], int(unpublished)


async def lag(kafka: str, group: str, topic: str) -> int:
    """Messages of `topic` the consumer group has not committed past: 0 when no partition is
    held by anything."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    ends = await end_offsets(kafka, topic)
    return sum(end - (committed[tp].offset if tp in committed else 0) for tp, end in ends.items())


async def all_records(kafka: str, topic: str) -> list[bytes]:
    """Every record of `topic` from the start, until none comes for 2 s."""
    out: list[bytes] = []
    async with tail(kafka, topic, start={}) as t:
        with contextlib.suppress(TimeoutError):
            while True:
                out.append((await t.wait_for(lambda r: True, timeout_s=2)).value)
    return out
