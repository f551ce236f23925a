"""Models the client returns (DailyBar, TickerRef, corporate-action events as sent), and their
parsing from response bodies."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ._errors import PolygonIncompleteResponse, PolygonMalformedResponse

NEW_YORK = ZoneInfo("America/New_York")
_M = TypeVar("_M", bound=BaseModel)


class DailyBar(BaseModel):
    """One daily bar. `trading_date` is the New York date of `t` (midnight or 16:00 ET)."""

    model_config = ConfigDict(frozen=True)

    ticker: str = Field(description="As received, case-sensitive", examples=["BRK.A", "KIMpL"])
    trading_date: date = Field(description="Date of t in America/New_York", examples=["2005-04-04"])
    open: float
    high: float
    low: float
    close: float
    volume: float = Field(description="May be fractional", examples=[642646396.0])
    vwap: float | None = None
    transactions: int | None = None
    otc: bool = False
    t_ms: int = Field(description="`t` as sent, ms since the epoch", examples=[1112587200000])
    adjusted: bool = Field(description="Split-adjusted, as requested")


class TickerRef(BaseModel):
    """One entry of /v3/reference/tickers. Optional keys the API left out are None."""

    model_config = ConfigDict(frozen=True)

    ticker: str
    name: str
    market: str
    locale: str
    primary_exchange: str | None = None
    type: str | None = None
    active: bool | None = None
    currency_name: str | None = None
    cik: str | None = None
    composite_figi: str | None = None
    share_class_figi: str | None = None
    last_updated_utc: datetime | None = None
    delisted_utc: datetime | None = None
    raw: dict[str, Any] = Field(default_factory=dict, repr=False, description="The item as sent")


class _AggRow(BaseModel):
    """A bar as the aggs endpoints send it (single-letter keys)."""

    T: str | None = None
    o: float
    h: float
    low: float = Field(alias="l")
    c: float
    v: float
    vw: float | None = None
    n: int | None = None
    t: int
    otc: bool = False


# cached: a page's bars share their days' timestamps (a grouped day one, a ticker's range a few
# thousand), and so do the rows of a raw object the loader reads
@lru_cache(maxsize=8192)
def trading_date_of(t_ms: int) -> date:
    """The trading date of a bar: the New York calendar date of `t`, never the UTC one."""
    return datetime.fromtimestamp(t_ms / 1000, NEW_YORK).date()


def results_of(body: dict[str, Any]) -> list[Any]:
    """`results`, where a missing key, null and [] all mean no data (a success).

    Unless the body counts results: then rows went missing and the answer is incomplete.
    """
    results = body.get("results")
    if results is None:
        counted = [body.get(k) for k in ("resultsCount", "count")]
        if any(isinstance(n, int) and n > 0 for n in counted):
            raise PolygonIncompleteResponse(f"no `results` but counts {counted}")
        return []
    if not isinstance(results, list):
        raise PolygonMalformedResponse("`results` is not a list")
    return results


def parse_bars(body: dict[str, Any], *, ticker: str | None, adjusted: bool) -> list[DailyBar]:
    """Bars of an aggs body; `ticker` None means take each row's `T` (grouped daily)."""
    results = results_of(body)
    try:
        return _plain_bars(results, ticker, adjusted)
    except (_NotPlain, KeyError, TypeError, ValueError, OverflowError, OSError):
        pass  # the row-by-row path below finds the row and names what is wrong with it
    bars = []
    for item in results:
        row = _validated(_AggRow, item)
        symbol = ticker if ticker is not None else row.T
        if not symbol:
            raise PolygonMalformedResponse("a grouped row has no `T`")
        bars.append(_daily_bar(row.model_dump(by_alias=True), symbol, adjusted))
    return bars


class _NotPlain(Exception):
    """A row the plain path leaves to the row-by-row one."""


def _plain_bars(results: list[Any], ticker: str | None, adjusted: bool) -> list[DailyBar]:
    """The bars of a page whose rows are all plainly valid, each validated once, by DailyBar
    itself: the same lax parsing of the same values as _AggRow's. Validating each row as an
    _AggRow first, then as a DailyBar, and converting its date uncached took the fetcher 9.2 us
    a bar to parse and regroup a 20-day whole-market batch, 6.3-6.9 us without (a whole-market
    year is 2.26 M bars; the fetchers spent 28.8 s of CPU on it). Raises on anything else, for
    parse_bars' row-by-row path to name."""
    bars = []
    for item in results:
        t, symbol = item["t"], item.get("T")
        if type(t) is not int or not (symbol is None or type(symbol) is str):
            raise _NotPlain
        symbol = ticker if ticker is not None else symbol
        if not symbol:
            raise _NotPlain
        bars.append(_daily_bar(item, symbol, adjusted))
    return bars


def _daily_bar(row: dict[str, Any], symbol: str, adjusted: bool) -> DailyBar:
    """The DailyBar of an aggs row in the API's keys (as sent, or an _AggRow dumped by alias)."""
    return DailyBar(
        ticker=symbol,
        trading_date=trading_date_of(row["t"]),
        open=row["o"],
        high=row["h"],
        low=row["l"],
        close=row["c"],
        volume=row["v"],
        vwap=row.get("vw"),
        transactions=row.get("n"),
        otc=row.get("otc", False),
        t_ms=row["t"],
        adjusted=adjusted,
    )


def parse_tickers(body: dict[str, Any]) -> list[TickerRef]:
    """Tickers of a /v3/reference/tickers page."""
    refs = []
    for item in results_of(body):
        if not isinstance(item, dict):
            raise PolygonMalformedResponse("a ticker item is not an object")
        refs.append(_validated(TickerRef, {**item, "raw": item}))
    return refs


def parse_events(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Items of a /v3/reference/splits or /dividends page, as sent. Only the page's shape is
    checked here: an item's values are the loader's to judge, so one bad event never costs
    the others (it goes to the rejected-events ledger with its reason)."""
    items = results_of(body)
    if not all(isinstance(item, dict) for item in items):
        raise PolygonMalformedResponse("a corporate-action item is not an object")
    return items


def _validated(model: type[_M], item: Any) -> _M:
    try:
        return model.model_validate(item)
    except ValidationError as exc:
        # Only field names and error types: values could be long or odd.
        where = ", ".join(f"{'.'.join(map(str, e['loc']))}:{e['type']}" for e in exc.errors())
        raise PolygonMalformedResponse(f"unexpected shape ({where})") from None


__all__ = [
    "DailyBar",
    "TickerRef",
    "parse_bars",
    "parse_events",
    "parse_tickers",
    "trading_date_of",
]
