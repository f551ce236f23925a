"""The Polygon REST client: tickers, daily bars per ticker, grouped daily, splits and dividends;
follows `next_url`."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable
from datetime import date
from functools import partial
from types import TracebackType
from typing import Any, Literal, Self, TypeVar
from urllib.parse import urlencode

import httpx

from shared.settings import PolygonSettings

from ._errors import PolygonMalformedResponse, PolygonPaginationLoop
from ._models import DailyBar, TickerRef, parse_bars, parse_events, parse_tickers
from ._rate_limit import Clock, InProcessRateLimiter, RateLimiter, Sleep
from ._transport import RetryingGetter, new_backoff
from ._urls import (
    DIVIDENDS_PATH,
    SPLITS_PATH,
    TICKERS_PATH,
    aggs_range_path,
    grouped_daily_path,
    next_target,
    page_key,
    redact,
)

T = TypeVar("T")
CorporateActionKind = Literal["splits", "dividends"]
# Each kind's path and the date it is filtered and sorted on.
_EVENTS: dict[str, tuple[str, str]] = {
    "splits": (SPLITS_PATH, "execution_date"),
    "dividends": (DIVIDENDS_PATH, "ex_dividend_date"),
}


class PolygonClient:
    """One per service: a pooled httpx.AsyncClient plus retries, pagination and a rate limit.

    Use as `async with PolygonClient(settings, rate_limiter=...) as client:`. Without a
    `rate_limiter` the limit holds for this process only; pass a PostgresRateLimiter to share it
    across replicas. `transport`, `sleep`, `clock` and `rng` are for tests.
    """

    def __init__(
        self,
        settings: PolygonSettings,
        *,
        rate_limiter: RateLimiter | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        secret = settings.api_key.get_secret_value()
        self._base_url = redact(settings.base_url, secret)
        limiter = rate_limiter or InProcessRateLimiter(
            settings.rate_limit_per_s, burst=settings.rate_limit_burst, clock=clock, sleep=sleep
        )
        self._http = httpx.AsyncClient(
            base_url=settings.base_url,
            headers={"Authorization": f"Bearer {secret}", "Accept-Encoding": "gzip"},
            timeout=httpx.Timeout(settings.timeout_s),
            limits=httpx.Limits(max_connections=settings.max_connections),
            transport=transport,
        )
        self._getter = RetryingGetter(
            self._http,
            secret=secret,
            limiter=limiter,
            backoff=new_backoff(settings.backoff_base_s, settings.backoff_cap_s, rng),
            max_retry_s=settings.max_retry_s,
            sleep=sleep,
            clock=clock,
        )

    @property
    def requests_made(self) -> int:
        """HTTP requests sent so far: every page and every retry counts."""
        return self._getter.requests_made

    @property
    def requests_by_status(self) -> dict[str, int]:
        """The requests sent so far by how they ended: HTTP status ("200", "429") or "error"
        (no answer); a copy, adding up to `requests_made`."""
        return dict(self._getter.outcomes)

    async def __aenter__(self) -> Self:
        await self._http.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    def __repr__(self) -> str:
        return f"PolygonClient(base_url={self._base_url!r}, requests_made={self.requests_made})"

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
        """Every ticker matching the filters, page after page (None leaves a filter out);
        `ticker` is an exact, case-sensitive match: one request answers for one name."""
        query = _query(
            market=market, active=active, type=ticker_type, date=as_of, ticker=ticker, limit=limit
        )
        async for page in self._pages(TICKERS_PATH, query, parse_tickers):
            for ref in page:
                yield ref

    async def daily_bars(
        self, ticker: str, start: date, end: date, *, adjusted: bool = True, limit: int = 50000
    ) -> list[DailyBar]:
        """Daily bars of `ticker` from `start` to `end` inclusive; [] when there are none."""
        parse = partial(parse_bars, ticker=ticker, adjusted=adjusted)
        query = _query(adjusted=adjusted, sort="asc", limit=limit)
        return await self._collect(aggs_range_path(ticker, start, end), query, parse)

    async def grouped_daily(
        self, day: date, *, adjusted: bool = True, include_otc: bool = False
    ) -> list[DailyBar]:
        """Bars of every US stock on `day` (ticker from `T`); [] on a non-trading day."""
        parse = partial(parse_bars, ticker=None, adjusted=adjusted)
        query = _query(adjusted=adjusted, include_otc=include_otc)
        return await self._collect(grouped_daily_path(day), query, parse)

    async def corporate_actions(
        self,
        kind: CorporateActionKind,
        start: date,
        end: date,
        *,
        ticker: str | None = None,
        limit: int = 1000,
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Pages of splits (by execution date) or cash dividends (by ex-dividend date) within
        [start, end], of `ticker` or of the whole market (None), oldest first, items as sent."""
        path, on = _EVENTS[kind]
        query = _query(ticker=ticker, sort=on, order="asc", limit=limit)
        query |= _query(**{f"{on}.gte": start, f"{on}.lte": end})
        async for page in self._pages(path, query, parse_events):
            yield page

    async def _collect(
        self, path: str, query: dict[str, str], parse: Callable[[dict[str, Any]], list[T]]
    ) -> list[T]:
        """The items of every page, in order."""
        return [item async for page in self._pages(path, query, parse) for item in page]

    async def _pages(
        self, path: str, query: dict[str, str], parse: Callable[[dict[str, Any]], list[T]]
    ) -> AsyncIterator[list[T]]:
        """Pages of items, following `next_url` (path+query only) with a loop guard."""

        def parse_page(body: dict[str, Any]) -> tuple[list[T], str | None]:
            next_url = body.get("next_url")
            if next_url is not None and not isinstance(next_url, str):
                raise PolygonMalformedResponse("`next_url` is not a string")
            return parse(body), next_url or None

        target: str = path
        params: dict[str, str] | None = query
        seen: set[str] = set()
        while True:
            key = page_key(f"{target}?{urlencode(params)}" if params else target)
            if key in seen:
                raise PolygonPaginationLoop("next_url repeats a page already fetched", url=key)
            seen.add(key)
            items, next_url = await self._getter.get(target, params, parse_page)
            yield items
            if next_url is None:
                return
            target, params = next_target(next_url), None


def _query(**values: str | bool | int | date | None) -> dict[str, str]:
    """Query parameters as the API wants them: booleans lowercase, dates ISO, None left out."""
    out = {}
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, date):
            out[name] = value.isoformat()
        else:
            out[name] = str(value)
    return out


__all__ = ["CorporateActionKind", "PolygonClient"]
