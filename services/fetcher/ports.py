"""What the fetcher talks to: its control-table calls (below), the Polygon API and the object
store (shared ports, re-exported so this page lists them all). app.py passes the real adapters;
the unit tests pass the fakes in tests/fakes/."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from shared.clients.polygon import PolygonApi
from shared.clients.storage import ObjectStore
from shared.messages import FetchBatch


class FetcherRepository(Protocol):
    """control.batches as the fetcher reads and marks it (repository.BatchRepository)."""

    async def wants(self, run_id: str, batch_id: str) -> bool:
        """A batch the lister registered, of a run still running, not fetched yet."""
        ...

    async def with_tickers(self, batch: FetchBatch) -> FetchBatch:
        """The batch as registered when its message left the tickers out; else itself."""
        ...

    async def mark_fetched(
        self,
        run_id: str,
        batch_id: str,
        key: str,
        api_requests: int,
        api_statuses: Mapping[str, int],
    ) -> None:
        """The batch's object is stored under `key`, for `api_requests` requests, counted by
        outcome in `api_statuses` ("200": 3, "429": 1)."""
        ...


__all__ = ["FetcherRepository", "ObjectStore", "PolygonApi"]
