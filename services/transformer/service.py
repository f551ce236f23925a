"""What the transformer does over its ports (ports.py): count a loaded batch, claim a complete
run, and build it with dbt off the consumer's poll loop, under a heartbeat; record how it ended
with the events that announce it (outbox, same transaction), relay the outbox (its own events
and the lister's); sweep for runs that hang and objects whose notification was lost."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from functools import partial

import structlog

from shared.clients.consumer import Permanent
from shared.clients.db import through_restart
from shared.db.control import RunStatus
from shared.db.outbox import OutboxMessage
from shared.logging import bind_message_context
from shared.messages import BatchLoaded, RunEvent, RunEventKind, topics
from shared.messages.raw_objects import batch_of
from shared.observability import metrics

from .core import DbtOutcome, alerts, final_status
from .freshness import stale_alerts
from .ports import DbtBuilder, Publisher, TransformerRepository
from .reconciler import Reconciler
from .triage import triage

log = structlog.get_logger()
# Ending a run must survive Postgres restarting: its writes are retried this long.
_PERSIST_FOR_S = 600.0
# Builds of one run when the database keeps restarting under them: then the run fails.
_BUILD_ATTEMPTS = 3


class Transformer:
    def __init__(
        self,
        repo: TransformerRepository,
        dbt: DbtBuilder,
        publisher: Publisher,
        heartbeat_s: float,
        reconciler: Reconciler | None = None,
    ) -> None:
        self._repo, self._dbt, self._publisher = repo, dbt, publisher
        self._heartbeat_s = heartbeat_s
        self._reconciler = reconciler
        self._builds: asyncio.Queue[str] = asyncio.Queue()
        self._held: set[str] = set()  # runs this process claimed: building or waiting to

    async def batch_loaded(self, event: BatchLoaded) -> None:
        """Count the batch in its run's set; the one replica whose count completes the run
        claims it and queues its build. An event of a run control never heard of is
        Permanent: dead-lettered."""
        if not await self._repo.run_exists(event.run_id):
            raise Permanent(f"unknown run {event.run_id!r}")
        counted = await self._repo.complete_batch(event.run_id, event.batch_id)
        if counted is None:
            log.warning("batch_not_registered", reason="the lister never listed this batch")
            return
        done, total = counted
        await self._event(
            event.run_id,
            RunEventKind.PROGRESS,
            RunStatus.RUNNING,
            suffix=f"/{done}",
            total_batches=total,
            batches_loaded=done,
        )
        log.info("batch_counted", done=done, total=total)
        if total is not None and done >= total and await self._repo.claim(event.run_id):
            self._hold(event.run_id)

    def _hold(self, run_id: str) -> None:
        """Queue a claimed run for the builder; the claim is committed, so the consumer moves
        on at once and a long build never holds the poll loop."""
        self._held.add(run_id)
        self._builds.put_nowait(run_id)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The builder and the heartbeat of held claims, for as long as the service runs."""
        tasks = [asyncio.create_task(self._build_forever()), asyncio.create_task(self._beat())]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def idle(self) -> None:
        """Until every queued build has ended (tests, shutdown)."""
        await self._builds.join()

    async def _build_forever(self) -> None:
        while True:
            run_id = await self._builds.get()
            bind_message_context(run_id=run_id)
            try:
                await self.transform(run_id)
            except Exception:  # its claim goes stale and a sweep resumes it
                log.exception("transform_failed")
            finally:
                self._held.discard(run_id)
                self._builds.task_done()

    async def _beat(self) -> None:
        """Renew every held claim; a failed renewal is retried at the next beat, never fatal."""
        while True:
            await asyncio.sleep(self._heartbeat_s)
            if not self._held:
                continue
            try:
                await self._repo.heartbeat(sorted(self._held))
            except Exception as exc:
                log.warning("heartbeat_failed", error=f"{type(exc).__name__}: {exc}"[:300])

    async def transform(self, run_id: str) -> None:
        """Run dbt for a run this process claimed, and end the run."""
        await self._event(run_id, RunEventKind.TRANSFORMING, RunStatus.TRANSFORMING)
        metrics.RUNS.labels(RunStatus.TRANSFORMING.value).inc()
        outcome = await self._locked_build(run_id)
        summary = await through_restart(lambda: self._repo.summary(run_id), _PERSIST_FOR_S)
        status, reason = final_status(outcome, int(summary.get("failed") or 0))
        finished = RunEvent(
            run_id=run_id,
            message_id=f"{run_id}/{RunEventKind.FINISHED.value}",
            kind=RunEventKind.FINISHED,
            status=status,
            detail=reason,
            dbt=outcome.counts(),
            total_batches=summary.get("total_batches"),
            tickers=summary.get("tickers_total"),
            tickers_failed=summary.get("failed"),
            bars_loaded=summary.get("bars"),
        )
        sent = alerts(run_id, outcome)
        stale = stale_alerts(run_id, list(outcome.freshness))
        events = [OutboxMessage.of(a, topics.ALERTS) for a in [*sent, *stale]]
        events.append(OutboxMessage.of(finished, topics.RUN_EVENTS))
        await through_restart(
            lambda: self._repo.finish(run_id, status, reason, outcome, events), _PERSIST_FOR_S
        )
        metrics.RUNS.labels(status.value).inc()
        if stale:
            log.warning("sources_stale", sources=[(a.source, a.status) for a in stale])
        if sent:
            log.warning(
                "data_tests_alerted",
                alerts=len(sent),
                failed=sum(a.severity == "error" for a in sent),
            )
        log.info("run_finished", status=status.value, reason=reason, **outcome.counts())
        await self.relay()

    async def _locked_build(self, run_id: str) -> DbtOutcome:
        """dbt under the deployment-wide lock. A failed build during which the database
        restarted is built again (dbt's models are idempotent): its failures were the
        restart's, and failing the run would make the user fetch it all again."""
        attempt = 1
        while True:
            outcome, survived = await through_restart(
                lambda: self._build_once(run_id), _PERSIST_FOR_S
            )
            if outcome.ok or survived or attempt >= _BUILD_ATTEMPTS:
                return outcome
            log.warning("dbt_build_repeated", attempt=attempt, why="the database restarted")
            await self._dbt.close()  # a fresh dbt: nothing of the lost sessions carried over
            attempt += 1

    async def _build_once(self, run_id: str) -> tuple[DbtOutcome, bool]:
        async with self._repo.dbt_lock() as lock:
            outcome = await self._dbt.build(run_id, partial(self._repo.dbt_progress, run_id))
            # Under the lock: the next build replaces the failing rows and compares with these.
            # dbt has ended and its outcome stands: a restart now costs the triage (idempotent)
            # a retry, not the whole build again.
            built = outcome
            outcome = await through_restart(
                lambda: triage(self._repo, run_id, built), _PERSIST_FOR_S
            )
            return outcome, await lock.survived()

    async def relay(self) -> None:
        """Publish the outbox's pending events in order, then mark them: at least once."""
        while pending := await self._repo.outbox_pending():
            for m in pending:
                await self._publisher.publish(
                    m.payload.encode(),
                    topic=m.topic,
                    key=m.key.encode(),
                    headers={"content-type": "application/json"},
                )
            await self._repo.outbox_published([m.id for m in pending])

    async def sweep(
        self, stale_after_s: float, stall_after_s: float, quiet_for_s: float = 60.0
    ) -> None:
        if self._reconciler is not None:
            await self._reannounce(self._reconciler, quiet_for_s)
        for run_id in await self._repo.claim_complete():
            bind_message_context(run_id=run_id)
            log.info("run_complete_on_sweep")
            self._hold(run_id)
        for run_id in await self._repo.take_over_stale(stale_after_s):
            if run_id in self._held:  # ours, still waiting for the builder
                continue
            bind_message_context(run_id=run_id)
            log.warning("run_resumed", why="its transformer stopped during dbt")
            self._hold(run_id)
        for run_id, reason in await self._repo.fail_stalled(stall_after_s, _stalled_events):
            bind_message_context(run_id=run_id)
            metrics.RUNS.labels(RunStatus.FAILED.value).inc()
            log.error("run_stalled", reason=reason)
        await self.relay()

    async def _reannounce(self, reconciler: Reconciler, quiet_for_s: float) -> None:
        """Announce again, as MinIO would, the objects whose notification was lost."""
        for run_id, event in await reconciler.lost(quiet_for_s):
            await self._publisher.publish(
                event.model_dump_json(by_alias=True).encode(),
                topic=topics.RAW_OBJECT_EVENTS,
                key=f"{event.bucket}/{event.key}".encode(),
            )
            reconciler.announced(event)
            log.warning("object_reannounced", run_id=run_id, batch_id=batch_of(event.key))

    async def _event(
        self, run_id: str, kind: RunEventKind, status: RunStatus, suffix: str = "", **fields: object
    ) -> None:
        event = RunEvent(
            run_id=run_id,
            message_id=f"{run_id}/{kind.value}{suffix}",
            kind=kind,
            status=status,
            **fields,
        )
        await self._publisher.publish(event, topic=topics.RUN_EVENTS, key=run_id.encode())


def _stalled_events(run_id: str, reason: str) -> list[OutboxMessage]:
    event = RunEvent(
        run_id=run_id,
        message_id=f"{run_id}/{RunEventKind.FINISHED.value}",
        kind=RunEventKind.FINISHED,
        status=RunStatus.FAILED,
        detail=reason,
    )
    return [OutboxMessage.of(event, topics.RUN_EVENTS)]
