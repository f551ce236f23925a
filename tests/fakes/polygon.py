"""The Polygon API's fake (`PolygonApi`): canned tickers, bars, corporate actions and errors,
with requests counted as the real client counts them, in all and by outcome."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import date
from typing import Any

from shared.clients.polygon import (
    TRANSPORT_ERROR,
    CorporateActionKind,
    DailyBar,
    PolygonApi,
    PolygonError,
    PolygonGaveUp,
    TickerRef,
)

from ._network import network_pause


class FakePolygonClient:
    """The Polygon client's calls the services make, over canned tickers, bars and errors."""

    def __init__(
        self,
        tickers: Iterable[TickerRef] = (),
        bars: Mapping[str, list[DailyBar]] | None = None,
        errors: Mapping[str, PolygonError] | None = None,
        listing_error: PolygonError | None = None,
        day_errors: Mapping[date, PolygonError] | None = None,
        events: Mapping[str, list[dict[str, Any]]] | None = None,
        events_error: PolygonError | None = None,
        events_page_size: int = 1000,
        events_error_after_pages: int = 0,
    ) -> None:
        self.tickers = list(tickers)
        self.bars = dict(bars or {})
        self.errors = dict(errors or {})
        self.listing_error = listing_error
        self.day_errors = dict(day_errors or {})
        self.events = {kind: list(items) for kind, items in (events or {}).items()}
        self.events_error = events_error
        self.events_page_size = events_page_size
        self.events_error_after_pages = events_error_after_pages
        self.listing_calls: list[tuple[str | None, bool | None]] = []  # (ticker=, active=)
        self.bar_calls: list[tuple[str, date, date, bool]] = []
        self.grouped_calls: list[tuple[date, bool, bool]] = []
        self.action_calls: list[tuple[str, date, date, str | None]] = []
        self._requests = 0
        self._outcomes: Counter[str] = Counter()

    @property
    def requests_made(self) -> int:
        return self._requests

    @property
    def requests_by_status(self) -> dict[str, int]:
        return dict(self._outcomes)

    def _answered(self, error: Exception | None = None) -> None:
        """One request sent (counted when sent, like the real transport) and how it ended."""
        self._requests += 1
        self._outcomes[_outcome(error)] += 1

    async def list_tickers(
        self,
        *,
        market: str | None = "stocks",
        active: bool | None = True,
        ticker_type: str | None = None,
        as_of: date | None = None,
        ticker: str | None = None,
        limit: int = 1000,
    ) -> AsyncIterator[TickerRef]:
        # Polygon's `active=false` lists only the delisted names; None lists both.
        chosen = [r for r in self.tickers if active is None or (r.active is not False) == active]
        chosen = [r for r in chosen if ticker is None or r.ticker == ticker]
        self.listing_calls.append((ticker, active))
        pages = [chosen[i : i + limit] for i in range(0, len(chosen), limit)] or [[]]
        for page in pages:
            self._answered(self.listing_error)
            await network_pause()
            if self.listing_error is not None:
                raise self.listing_error
            for ref in page:
                yield ref

    async def daily_bars(
        self, ticker: str, start: date, end: date, *, adjusted: bool = True, limit: int = 50000
    ) -> list[DailyBar]:
        self._answered(self.errors.get(ticker))
        self.bar_calls.append((ticker, start, end, adjusted))
        await network_pause()
        if ticker in self.errors:
            raise self.errors[ticker]
        return [b for b in self.bars.get(ticker, []) if start <= b.trading_date <= end]

    async def grouped_daily(
        self, day: date, *, adjusted: bool = True, include_otc: bool = False
    ) -> list[DailyBar]:
        self._answered(self.day_errors.get(day))
        self.grouped_calls.append((day, adjusted, include_otc))
        await network_pause()
        if day in self.day_errors:
            raise self.day_errors[day]
        return [b for bars in self.bars.values() for b in bars if b.trading_date == day]

    async def corporate_actions(
        self,
        kind: CorporateActionKind,
        start: date,
        end: date,
        *,
        ticker: str | None = None,
        limit: int = 1000,
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Pages of the canned events of `kind` in [start, end] (by their ISO date string; an
        event without a readable date is always sent, odd values are the loader's to judge), of
        `ticker` or the whole market, as sent. `events_error` is raised at the first request after
        `events_error_after_pages` pages."""
        self.action_calls.append((kind, start, end, ticker))
        on = _EVENT_DATES[kind]
        chosen = [
            e
            for e in self.events.get(kind, [])
            if (ticker is None or e.get("ticker") == ticker) and _within(e.get(on), start, end)
        ]
        size = min(limit, self.events_page_size)
        pages = [chosen[i : i + size] for i in range(0, len(chosen), size)] or [[]]
        for n, page in enumerate(pages):
            error = self.events_error if n >= self.events_error_after_pages else None
            self._answered(error)
            await network_pause()
            if error is not None:
                raise error
            yield page


_EVENT_DATES = {"splits": "execution_date", "dividends": "ex_dividend_date"}
# The status each permanent error comes from, when the canned error does not name one.
_STATUS_OF_KIND = {"auth": 401, "not_entitled": 403, "not_found": 404, "bad_request": 400}


def _outcome(error: Exception | None) -> str:
    """The outcome the real transport would count for a canned answer: 200 (also for an error
    that is not the API's, a bug after the answer), the error's status, or "error" for a
    give-up with none (timeouts). A canned give-up stands for one request here, as every canned
    error does."""
    if not isinstance(error, PolygonError):
        return "200"
    status = error.status or _STATUS_OF_KIND.get(error.kind)
    if status is None:
        return TRANSPORT_ERROR if isinstance(error, PolygonGaveUp) else "200"
    return str(status)


def _within(value: Any, start: date, end: date) -> bool:
    """An ISO date string within [start, end]; anything else is kept, as the filter cannot
    read it (the simulator and Polygon never send such events, hostile tests do)."""
    try:
        day = date.fromisoformat(value)
    except (TypeError, ValueError):
        return True
    return start <= day <= end


# mypy holds the fake to the port here.
_API: type[PolygonApi] = FakePolygonClient
