"""What the transformer talks to: its control tables and the outbox, and dbt (below), the bucket
it lists and the publisher (shared ports, re-exported so this page lists them all). app.py
passes the real adapters; the unit tests pass the fakes in tests/fakes/."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from shared.clients.broker import Publisher
from shared.clients.storage import ObjectLister
from shared.db.control import RunStatus
from shared.db.outbox import OutboxMessage, PendingMessage

from .core import DbtOutcome
from .dbt_runner import OnProgress
from .failures import Failure


class TransformerRepository(Protocol):
    """control.runs, the completion set, test results and the outbox as the transformer keeps
    them (repository.ControlRepository)."""

    async def run_exists(self, run_id: str) -> bool: ...

    async def complete_batch(self, run_id: str, batch_id: str) -> tuple[int, int | None]:
        """Add the batch to the run's set; (listed batches in the set, total or None)."""
        ...

    async def claim(self, run_id: str) -> bool:
        """Move a complete, running run to transforming: true only for the one caller that did."""
        ...

    async def claim_complete(self) -> list[str]:
        """Claim running runs whose set is already complete."""
        ...

    async def take_over_stale(self, stale_after_s: float) -> list[str]:
        """Claim runs whose transformer stopped renewing its claim."""
        ...

    async def heartbeat(self, run_ids: list[str]) -> None:
        """Renew the claims of the runs this process holds."""
        ...

    async def dbt_progress(self, run_id: str, done: int, total: int | None) -> None:
        """dbt's nodes done of the build's total, for `run --wait`."""
        ...

    async def fail_stalled(
        self, stall_after_s: float, events: Callable[[str, str], list[OutboxMessage]]
    ) -> list[tuple[str, str]]:
        """Fail running runs with no progress for too long, with `events(run_id, reason)` in
        the outbox in the same transaction; (run_id, reason) of each."""
        ...

    async def unloaded(self, quiet_for_s: float) -> dict[str, set[str]]:
        """The listed batches not loaded yet of running runs quiet for `quiet_for_s`."""
        ...

    async def summary(self, run_id: str) -> dict[str, Any]:
        """total_batches, tickers_total, failed (tickers) and bars of the run."""
        ...

    async def finish(
        self,
        run_id: str,
        status: RunStatus,
        reason: str | None,
        dbt: DbtOutcome,
        events: list[OutboxMessage],
    ) -> None:
        """End the run with its test results and its events in the outbox, in one transaction."""
        ...

    async def outbox_pending(self, limit: int = 500) -> list[PendingMessage]:
        """The outbox's unpublished events, in publish order."""
        ...

    async def outbox_published(self, ids: list[int]) -> None:
        """Mark these outbox rows published."""
        ...

    def dbt_lock(self) -> AbstractAsyncContextManager[DbtLock]:
        """The deployment-wide dbt lock: two builds never write the marts at once."""
        ...

    async def failing_rows(self, relation_name: str, limit: int) -> list[dict[str, Any]]:
        """A test's failing rows as dbt stored them (store_failures), `limit` at most."""
        ...

    async def previous_failures(self, run_id: str) -> set[tuple[str, str]]:
        """(test name, fingerprint) of the failures of the build recorded last before this
        run's."""
        ...

    async def acknowledgements(self) -> set[tuple[str, str]]:
        """(test name, key) of every accepted exception not revoked."""
        ...

    async def record_failures(self, run_id: str, failures: list[Failure]) -> None:
        """Store the run's build's classified failures: the next build compares with them."""
        ...


class DbtLock(Protocol):
    """The dbt lock while it is held."""

    async def survived(self) -> bool:
        """Whether the lock's session lived through what ran under it: False when the database
        restarted meanwhile (the lock went with the session, and a build's failures may be the
        restart's rather than the data's)."""
        ...


class DbtBuilder(Protocol):
    """`dbt build` as the transform role (dbt_runner.DbtRunner)."""

    async def build(self, run_id: str, on_progress: OnProgress | None = None) -> DbtOutcome:
        """Build the project once; how it went (a failure to run is an outcome too)."""
        ...

    async def close(self) -> None:
        """Stop whatever the builds keep running."""
        ...


__all__ = ["DbtBuilder", "DbtLock", "ObjectLister", "Publisher", "TransformerRepository"]
