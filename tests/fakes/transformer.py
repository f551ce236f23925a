"""The transformer's fakes: its repository (`TransformerRepository`: control.runs, the
completion set, the outbox, the dbt lock) and dbt (`DbtBuilder`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from services.transformer.core import DataTestResult, DbtOutcome
from services.transformer.dbt_runner import OnProgress
from services.transformer.failures import Failure
from services.transformer.ports import DbtBuilder, TransformerRepository
from shared.db.control import UNFINISHED_STATUSES, RunStatus
from shared.db.outbox import OutboxMessage, PendingMessage

from ._network import network_pause


class ForeignKeyViolation(LookupError):
    """Postgres: the row references a run that control.runs does not hold."""


@dataclass
class ControlRun:
    status: RunStatus = RunStatus.RUNNING
    total_batches: int | None = None
    tickers_total: int = 0
    tickers_failed: int = 0
    bars: int = 0
    reason: str | None = None
    dbt_result: dict[str, Any] | None = None
    heartbeats: int = 0
    test_results: dict[str, DataTestResult] = field(default_factory=dict)
    listed: set[str] = field(default_factory=set)  # batches the lister registered


class FakeControlRepository:
    """`ControlRepository` over dicts: the completion SET per run, and a claim that only one
    caller wins (no await between the check and the change, as one UPDATE is atomic)."""

    def __init__(self, claim_barrier: asyncio.Barrier | None = None) -> None:
        self.runs: dict[str, ControlRun] = {}
        self._claim_barrier = claim_barrier  # makes racing replicas all reach the check
        self.completed: dict[str, set[str]] = {}
        self.claims: list[str] = []
        self.stale: set[str] = set()  # runs whose heartbeat the test declares old
        self.stalled: set[str] = set()  # runs the test declares without progress
        self.quiet: set[str] = set()  # runs the test declares quiet (for the reconciler)
        self.lock_log: list[str] = []  # the dbt lock taken and released, in order
        self.outbox: list[tuple[OutboxMessage, bool]] = []  # (message, published), in id order
        self.progress: list[tuple[str, int, int | None]] = []  # dbt's (run, done, total)
        self.restarts_during_builds = 0  # the next builds the database restarts under
        self.stored_failures: dict[str, list[dict[str, Any]]] = {}  # dbt's, by relation name
        self.acknowledged: set[tuple[str, str]] = set()  # (test name, key)
        self.failures: dict[str, list[Failure]] = {}  # each run's build's, in record order

    def add_run(self, run_id: str, batches: Iterable[str] = (), **fields: Any) -> ControlRun:
        """A run as the lister leaves it (status running with its total and its registered
        batches, unless given)."""
        self.runs[run_id] = ControlRun(**fields, listed=set(batches))
        return self.runs[run_id]

    def _done(self, run_id: str) -> int:
        return len(self.completed.get(run_id, set()) & self.runs[run_id].listed)

    async def complete_batch(self, run_id: str, batch_id: str) -> tuple[int, int | None]:
        await network_pause()
        run = self.runs.get(run_id)
        if run is None:
            raise ForeignKeyViolation(f"completed_batches.run_id {run_id!r} is not in control.runs")
        self.completed.setdefault(run_id, set()).add(batch_id)
        return self._done(run_id), run.total_batches

    async def claim(self, run_id: str) -> bool:
        await network_pause()
        if self._claim_barrier is not None:
            await self._claim_barrier.wait()
        run = self.runs.get(run_id)
        complete = (
            run is not None
            and run.total_batches is not None
            and self._done(run_id) >= run.total_batches
        )
        if run is None or run.status != RunStatus.RUNNING or not complete:
            return False
        run.status = RunStatus.TRANSFORMING
        self.claims.append(run_id)
        return True

    async def run_exists(self, run_id: str) -> bool:
        return run_id in self.runs

    async def claim_complete(self) -> list[str]:
        claimed = []
        for run_id in sorted(self.runs):
            run = self.runs[run_id]
            if (
                run.status == RunStatus.RUNNING
                and run.total_batches is not None
                and self._done(run_id) >= run.total_batches
            ):
                run.status = RunStatus.TRANSFORMING
                self.claims.append(run_id)
                claimed.append(run_id)
        return claimed

    async def take_over_stale(self, stale_after_s: float) -> list[str]:
        taken = sorted(r for r in self.stale if self.runs[r].status == RunStatus.TRANSFORMING)
        self.stale -= set(taken)
        return taken

    async def heartbeat(self, run_ids: list[str]) -> None:
        for run_id in run_ids:
            self.runs[run_id].heartbeats += 1

    async def dbt_progress(self, run_id: str, done: int, total: int | None) -> None:
        self.progress.append((run_id, done, total))

    async def fail_stalled(
        self, stall_after_s: float, events: Callable[[str, str], list[OutboxMessage]]
    ) -> list[tuple[str, str]]:
        failed = []
        for run_id in sorted(self.stalled):
            run = self.runs[run_id]
            if run.status in UNFINISHED_STATUSES:
                run.status = RunStatus.FAILED
                run.reason = "stalled: batches never loaded"
                failed.append((run_id, run.reason))
                self._to_outbox(events(run_id, run.reason))
        self.stalled.clear()
        return failed

    async def unloaded(self, quiet_for_s: float) -> dict[str, set[str]]:
        return {
            r: self.runs[r].listed - self.completed.get(r, set())
            for r in sorted(self.quiet)
            if self.runs[r].status == RunStatus.RUNNING
        }

    def _to_outbox(self, events: list[OutboxMessage]) -> None:
        for m in events:
            if all(o.message_id != m.message_id for o, _ in self.outbox):
                self.outbox.append((m, False))

    async def outbox_pending(self, limit: int = 500) -> list[PendingMessage]:
        return [
            PendingMessage(i, m.topic, m.key, m.payload)
            for i, (m, published) in enumerate(self.outbox)
            if not published
        ][:limit]

    async def outbox_published(self, ids: list[int]) -> None:
        for i in ids:
            self.outbox[i] = (self.outbox[i][0], True)

    async def summary(self, run_id: str) -> dict[str, Any]:
        run = self.runs.get(run_id)
        if run is None:
            return {}
        return {
            "total_batches": run.total_batches,
            "tickers_total": run.tickers_total,
            "failed": run.tickers_failed,
            "bars": run.bars,
        }

    async def finish(
        self,
        run_id: str,
        status: RunStatus,
        reason: str | None,
        dbt: DbtOutcome,
        events: list[OutboxMessage],
    ) -> None:
        self._to_outbox(events)
        run = self.runs[run_id]
        run.status, run.reason, run.dbt_result = status, reason, dbt.as_json()
        run.test_results.update((t.unique_id, t) for t in dbt.tests)

    async def failing_rows(self, relation_name: str, limit: int) -> list[dict[str, Any]]:
        return self.stored_failures.get(relation_name, [])[:limit]

    async def previous_failures(self, run_id: str) -> set[tuple[str, str]]:
        earlier = [r for r in self.failures if r != run_id]
        if not earlier:
            return set()
        return {(f.test_name, f.fingerprint) for f in self.failures[earlier[-1]]}

    async def acknowledgements(self) -> set[tuple[str, str]]:
        return set(self.acknowledged)

    async def record_failures(self, run_id: str, failures: list[Failure]) -> None:
        self.failures.pop(run_id, None)  # a run built again is the latest build again
        self.failures[run_id] = list(failures)

    @contextlib.asynccontextmanager
    async def dbt_lock(self) -> AsyncIterator[FakeLock]:
        self.lock_log.append("locked")
        try:
            yield FakeLock(self)
        finally:
            self.lock_log.append("unlocked")


class FakeLock:
    """The dbt lock held; lost once for each restart the test declares."""

    def __init__(self, repo: FakeControlRepository) -> None:
        self._repo = repo

    async def survived(self) -> bool:
        if self._repo.restarts_during_builds > 0:
            self._repo.restarts_during_builds -= 1
            return False
        return True


class FakeDbtRunner:
    """`DbtRunner` that counts builds and answers with a canned outcome."""

    def __init__(self, outcome: DbtOutcome | None = None, *first: DbtOutcome) -> None:
        self.outcome = outcome or DbtOutcome(ok=True, models_built=5, tests_passed=20)
        self._first = list(first)  # outcomes of the first builds, before `outcome`
        self.builds: list[str] = []
        self.closed = 0

    async def build(self, run_id: str, on_progress: OnProgress | None = None) -> DbtOutcome:
        self.builds.append(run_id)
        await network_pause()  # a real build takes a while: let another replica interleave
        return self._first.pop(0) if self._first else self.outcome

    async def close(self) -> None:
        self.closed += 1


# mypy holds the fakes to the ports here.
_REPOSITORY: type[TransformerRepository] = FakeControlRepository
_DBT: type[DbtBuilder] = FakeDbtRunner
