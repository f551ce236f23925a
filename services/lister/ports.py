"""What the lister talks to: its control tables (below), the Polygon API, the object store and
the publisher (shared ports, re-exported so this page lists them all). app.py passes the real
adapters; the unit tests pass the fakes in tests/fakes/lister.py."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Protocol

from shared.clients.broker import Publisher
from shared.clients.polygon import PolygonApi, TickerRef
from shared.clients.storage import ObjectStore
from shared.db.control import RunStatus
from shared.db.outbox import OutboxMessage
from shared.fetch_plan import FetchPlan
from shared.messages import FetchBatch

from .core import RunSpec
from .corporate_actions import Watermarks


class ListerRepository(Protocol):
    """control.runs and control.batches as the lister keeps them (repository.RunRepository)."""

    async def ensure_run(self, spec: RunSpec) -> RunStatus:
        """Register the run as listing unless it exists; its current status either way."""
        ...

    async def watermarks(self) -> dict[str, date]:
        """Each ticker's last loaded as-traded trading date."""
        ...

    async def action_watermarks(self) -> Watermarks:
        """What each kind of corporate action was read over, per ticker and for the market."""
        ...

    async def first_bars(self, tickers: list[str]) -> dict[str, date]:
        """Each ticker's first stored as-traded bar."""
        ...

    async def register_batches(
        self,
        run_id: str,
        commands: list[FetchBatch],
        tickers_total: int,
        api_requests: int,
        api_statuses: Mapping[str, int],
        tickers_batch: tuple[str, str],
        plan: FetchPlan,
    ) -> None:
        """Record every batch with its command, the listing's batch and the total, and the
        listing's requests, by outcome too ("200": 3); the run is then running."""
        ...

    async def fail(
        self,
        run_id: str,
        reason: str,
        events: list[OutboxMessage],
        api_requests: int,
        api_statuses: Mapping[str, int],
    ) -> None:
        """Fail a run still listing, with the requests its listing made (by outcome too) and the
        events that announce it in the outbox (one transaction); a run no longer listing is left
        alone, and so are its events."""
        ...

    async def stored_refs(self, tickers: list[str]) -> dict[str, TickerRef]:
        """The reference rows an earlier listing stored (raw.tickers), of these tickers."""
        ...

    async def record_ticker_errors(self, run_id: str, errors: list[tuple[str, str, str]]) -> None:
        """(ticker, kind, reason) of tickers the run will not fetch; the first error stays."""
        ...

    async def reject(
        self, run_id: str, request: dict[str, Any], reason: str, events: list[OutboxMessage]
    ) -> None:
        """Record a request no run can come of as a rejected run, with its events in the outbox
        (one transaction); a run of that id already there is left alone."""
        ...

    async def unloaded_commands(self, run_id: str) -> list[FetchBatch]:
        """The registered commands of the run's batches not loaded yet, by batch id."""
        ...


__all__ = ["ListerRepository", "ObjectStore", "PolygonApi", "Publisher"]
