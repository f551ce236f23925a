"""Models the client returns (DailyBar, TickerRef, corporate-action events as sent), and their
parsing from response bodies."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any, NamedTuple, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ._errors import PolygonIncompleteResponse, PolygonMalformedResponse

NEW_YORK = ZoneInfo("America/New_York")
_M = TypeVar("_M", bound=BaseModel)


class DailyBar(NamedTuple):
    """One daily bar, immutable. `trading_date` is the New York date of `t` (midnight or 16:00
    ET). A plain tuple, not a pydantic model: parse_bars validates each row before it builds
    one. With a model per bar, parsing took 5.9 of the 8.3 us the fetcher spent on a bar; 1.8
    us now (benchmarks/bench_parse.py; a whole-market year is 2.26 M bars)."""

    ticker: str  # as received, case-sensitive: "BRK.A", "KIMpL"
    trading_date: date  # the date of t in America/New_York
    open: float
    high: float
    low: float
    close: float
    volume: float  # may be fractional
    t_ms: int  # `t` as sent, ms since the epoch
    adjusted: bool  # split-adjusted, as requested
    vwap: float | None = None
    transactions: int | None = None
    otc: bool = False


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
        bars.append(_daily_bar(row, symbol, adjusted))
    return bars


class _NotPlain(Exception):
    """A row the plain path leaves to the row-by-row one."""


def _plain_bars(results: list[Any], ticker: str | None, adjusted: bool) -> list[DailyBar]:
    """The bars of a page whose rows are all plainly valid: numbers where numbers belong (a
    price int or float, `t` and `n` int), `otc` a bool, `T` a non-empty string. The values
    become what _AggRow's lax parsing makes of them (an int price is a float). Checking each
    row by hand and building a plain tuple, not a pydantic model: 5.9 -> 1.8 us a bar over 20
    whole-market days (benchmarks/bench_parse.py). Raises on anything else, for parse_bars'
    row-by-row path, which accepts the lax values _AggRow does (a price sent as a string, a
    whole-number float `t`) and names what is wrong with the rest."""
    bars: list[DailyBar] = []
    append = bars.append
    for item in results:
        t, sent_symbol = item["t"], item.get("T")
        symbol = sent_symbol if ticker is None else ticker
        o, h, low, c, v = item["o"], item["h"], item["l"], item["c"], item["v"]
        vw, n, otc = item.get("vw"), item.get("n"), item.get("otc", False)
        if (
            type(t) is not int
            or (sent_symbol is not None and type(sent_symbol) is not str)
            or type(symbol) is not str
            or not symbol
            or type(o) not in _NUMBER
            or type(h) not in _NUMBER
            or type(low) not in _NUMBER
            or type(c) not in _NUMBER
            or type(v) not in _NUMBER
            or (vw is not None and type(vw) not in _NUMBER)
            or (n is not None and type(n) is not int)
            or type(otc) is not bool
        ):
            raise _NotPlain
        # positional, in DailyBar's field order: keywords cost 0.8 us a bar more (a third of
        # the parse); test_both_paths_make_the_same_bar_of_a_row holds it to _daily_bar's
        append(
            DailyBar(
                symbol,
                trading_date_of(t),
                float(o),
                float(h),
                float(low),
                float(c),
                float(v),
                t,
                adjusted,
                None if vw is None else float(vw),
                n,
                otc,
            )
        )
    return bars


_NUMBER = frozenset({int, float})  # by type(): a bool, an int subclass, is not a price


def _daily_bar(row: _AggRow, symbol: str, adjusted: bool) -> DailyBar:
    """The DailyBar of a validated row."""
    return DailyBar(
        ticker=symbol,
        trading_date=trading_date_of(row.t),
        open=row.o,
        high=row.h,
        low=row.low,
        close=row.c,
        volume=row.v,
        t_ms=row.t,
        adjusted=adjusted,
        vwap=row.vw,
        transactions=row.n,
        otc=row.otc,
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
