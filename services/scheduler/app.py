"""The scheduler's composition root: `faststream run services.scheduler.app:app`.

It consumes nothing: after the broker connects it checks the schedule at each slot and
publishes the due run requests. A bad SCHEDULE_* setting stops it before it connects."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket

import asyncpg
import structlog
from faststream import FastStream

from shared.clients import channels
from shared.clients.broker import make_broker
from shared.clients.db import create_pool
from shared.logging import configure_logging
from shared.messages import topics
from shared.observability import instrument
from shared.service_app import specification

from .core import ScheduleError, check_request, parse_schedule
from .repository import SlotRepository
from .service import Scheduler, utc_now
from .settings import SchedulerSettings

settings = SchedulerSettings()
logger = configure_logging("scheduler")
log = structlog.get_logger()
opts = settings.options
try:
    schedule = parse_schedule(opts.cron, opts.tz, opts.run_id_format, utc_now())
    check_request(opts.request)
except ScheduleError as exc:
    log.error("schedule_invalid", error=str(exc))
    raise SystemExit(f"scheduler: {exc}") from None
broker = make_broker(settings.kafka, logger)
# Declared for the AsyncAPI document; the run requests are published through the broker.
_run_requests = channels.RUN_REQUESTS
broker.publisher(
    _run_requests.topic,
    schema=_run_requests.schema,
    title=_run_requests.title,
    description=_run_requests.description,
)
DESCRIPTION = "Publishes a run request at each slot of the schedule, once (SCHEDULE_* settings)"
app = FastStream(broker, logger=logger, specification=specification("scheduler", DESCRIPTION))
instrument(app, broker, "scheduler", settings.metrics)
_running: dict[str, asyncio.Task[None]] = {}


async def _publish(payload: bytes, key: bytes) -> None:
    await broker.publish(
        payload, topic=topics.RUN_REQUESTS, key=key, headers={"content-type": "application/json"}
    )


async def _run() -> None:
    """Connect to Postgres (retried: the scheduler may start before it), then keep the
    schedule until cancelled."""
    replica = f"{socket.gethostname()}:{os.getpid()}"
    while True:
        try:
            pool = await create_pool(settings.postgres)
            break
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("postgres_unavailable", error=f"{type(exc).__name__}: {exc}"[:300])
            await asyncio.sleep(opts.poll_s)
    try:
        scheduler = Scheduler(
            schedule, SlotRepository(pool), _publish, opts.catchup, opts.request, replica
        )
        upcoming = [s.run_id for s in schedule.next_slots(utc_now(), 3)]
        log.info("schedule_loaded", cron=opts.cron, tz=opts.tz, catchup=opts.catchup, next=upcoming)
        await scheduler.run_forever(opts.poll_s)
    finally:
        await pool.close()


@app.after_startup
async def _start() -> None:
    _running["task"] = asyncio.create_task(_run())


@app.on_shutdown
async def _stop() -> None:
    """Before the broker disconnects: a claim in progress rolls back, a publish in progress
    leaves its slot unpublished for the next check."""
    task = _running.pop("task", None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
