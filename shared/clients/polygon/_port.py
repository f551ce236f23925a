"""The Polygon API as the services call it: the port PolygonClient implements and the unit
tests' fake implements too, so the fake cannot drift from the client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import date
from typing import Any, Protocol

from ._client import CorporateActionKind
from ._models import DailyBar, TickerRef


class PolygonApi(Protocol):
    @property
    def requests_made(self) -> int:
        """Requests sent so far (retries included): a batch's cost is a difference of two."""
        ...

    @property
    def requests_by_status(self) -> Mapping[str, int]:
        """The same requests by outcome, HTTP status ("200", "503") or "error" (no answer): a
        snapshot adding up to `requests_made`; a batch's share is `outcomes_since` of two."""
        ...

    def list_tickers(
        self,
        *,
        market: str | None = "stocks",
        active: bool | None = True,
        ticker_type: str | None = None,
        as_of: date | None = None,
        ticker: str | None = None,
        limit: int = 1000,
    ) -> AsyncIterator[TickerRef]:
        """Every ticker matching the filters, page after page."""
        ...

    async def daily_bars(
        self, ticker: str, start: date, end: date, *, adjusted: bool = True, limit: int = 50000
    ) -> list[DailyBar]:
        """Daily bars of `ticker` from `start` to `end` inclusive."""
        ...

    async def grouped_daily(
        self, day: date, *, adjusted: bool = True, include_otc: bool = False
    ) -> list[DailyBar]:
        """Bars of every US stock on `day`."""
        ...

    def corporate_actions(
        self,
        kind: CorporateActionKind,
        start: date,
        end: date,
        *,
        ticker: str | None = None,
        limit: int = 1000,
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Pages of splits or cash dividends within [start, end], of `ticker` or the market."""
        ...
