"""What the transformer does over its ports: count a loaded batch, claim a complete run, build
it with dbt under a heartbeat, record and announce how it ended (and which tests alerted); and
sweep for runs that hang."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import structlog
from faststream.kafka import KafkaBroker

from shared.logging import bind_message_context
from shared.messages import BatchLoaded, RunEvent, RunEventKind, RunStatus, topics

from .core import DbtOutcome, alerts, final_status
from .dbt_runner import DbtRunner
from .repository import DBT_LOCK_KEY, ControlRepository

log = structlog.get_logger()


class Transformer:
    def __init__(
        self, repo: ControlRepository, dbt: DbtRunner, broker: KafkaBroker, heartbeat_s: float
    ) -> None:
        self._repo, self._dbt, self._broker = repo, dbt, broker
        self._heartbeat_s = heartbeat_s

    async def knows(self, run_id: str) -> bool:
        return await self._repo.run_exists(run_id)

    async def batch_loaded(self, event: BatchLoaded) -> None:
        done, total = await self._repo.complete_batch(event.run_id, event.batch_id)
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
            await self.transform(event.run_id)

    async def transform(self, run_id: str) -> None:
        """Run dbt for a run this process claimed, and end the run."""
        await self._event(run_id, RunEventKind.TRANSFORMING, RunStatus.TRANSFORMING)
        async with self._heartbeat(run_id), self._repo.dbt_lock() as conn:
            await conn.execute("select pg_advisory_lock($1)", DBT_LOCK_KEY)
            try:
                outcome = await self._dbt.build(run_id)
            finally:
                await conn.execute("select pg_advisory_unlock($1)", DBT_LOCK_KEY)
        summary = await self._repo.summary(run_id)
        status, reason = final_status(outcome, int(summary.get("failed") or 0))
        await self._repo.finish(run_id, status, reason, outcome)
        await self._alert(run_id, outcome)
        await self._event(
            run_id,
            RunEventKind.FINISHED,
            status,
            detail=reason,
            dbt=outcome.counts(),
            total_batches=summary.get("total_batches"),
            tickers=summary.get("tickers_total"),
            tickers_failed=summary.get("failed"),
            bars_loaded=summary.get("bars"),
        )
        log.info("run_finished", status=status.value, reason=reason, **outcome.counts())

    async def sweep(self, stale_after_s: float, stall_after_s: float) -> None:
        for run_id in await self._repo.claim_complete():
            bind_message_context(run_id=run_id)
            log.info("run_complete_on_sweep")
            await self.transform(run_id)
        for run_id in await self._repo.take_over_stale(stale_after_s):
            bind_message_context(run_id=run_id)
            log.warning("run_resumed", why="its transformer stopped during dbt")
            await self.transform(run_id)
        for run_id, reason in await self._repo.fail_stalled(stall_after_s):
            bind_message_context(run_id=run_id)
            log.error("run_stalled", reason=reason)
            await self._event(run_id, RunEventKind.FINISHED, RunStatus.FAILED, detail=reason)

    async def _alert(self, run_id: str, outcome: DbtOutcome) -> None:
        """Announce each failed, errored or warned test, once the results are stored."""
        sent = alerts(run_id, outcome)
        for alert in sent:
            await self._broker.publish(alert, topic=topics.ALERTS, key=run_id.encode())
        if sent:
            log.warning(
                "data_tests_alerted",
                alerts=len(sent),
                failed=sum(a.severity == "error" for a in sent),
            )

    @contextlib.asynccontextmanager
    async def _heartbeat(self, run_id: str) -> AsyncIterator[None]:
        async def beat() -> None:
            while True:
                await asyncio.sleep(self._heartbeat_s)
                await self._repo.heartbeat(run_id)

        task = asyncio.create_task(beat())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

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
        await self._broker.publish(event, topic=topics.RUN_EVENTS, key=run_id.encode())
