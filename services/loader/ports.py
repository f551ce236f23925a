"""What the loader talks to: the raw tables and its control-table marks (below), the object store
and the publisher (shared ports, re-exported so this page lists them all). app.py passes the real
adapters; the unit tests pass the fakes in tests/fakes/."""

from __future__ import annotations

from collections.abc import AsyncIterable
from typing import Any, Protocol

from shared.clients.broker import Publisher
from shared.clients.storage import ObjectStore
from shared.messages.raw_objects import ObjectHeader, TickerError

from .corporate_actions import Rejected


class LoaderRepository(Protocol):
    """raw.* and the batch's load marks as the loader writes them (repository.RawRepository)."""

    async def run_exists(self, run_id: str) -> bool:
        """control.runs holds the run."""
        ...

    async def named_tickers(self, run_id: str) -> frozenset[str]:
        """The tickers the run's request named (none for a run of the listing)."""
        ...

    async def load(
        self,
        kind: str,
        run_id: str,
        batch_id: str,
        key: str,
        chunks: AsyncIterable[list[tuple[Any, ...]]],
        errors: list[tuple[str, TickerError]],
    ) -> int:
        """Bars or tickers of one object, its ticker errors and its batch marked loaded, in
        one transaction; the rows the object held."""
        ...

    async def load_actions(
        self,
        head: ObjectHeader,
        key: str,
        rows: list[tuple[Any, ...]],
        rejected: list[Rejected],
    ) -> None:
        """Splits or dividends, their rejections, the kind's watermark and the batch, in one
        transaction."""
        ...


__all__ = ["LoaderRepository", "ObjectStore", "Publisher"]
