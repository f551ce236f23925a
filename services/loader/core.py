"""The loader's pure logic: raw-object lines into table rows, and what cannot be loaded."""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any

import orjson
from pydantic import ValidationError

from shared.clients.polygon import trading_date_of
from shared.messages.ids import TICKER_PATTERN
from shared.messages.raw_objects import (
    GROUPED_DAY_PREFIX,
    ObjectHeader,
    TickerBars,
    TickerError,
)

from .fast_rows import BarRow, fast_rows

# Vendor glitches have put control characters, and worse, into tickers: a ticker Postgres or
# its b-tree would refuse costs its own line, never the batch.
_TICKER = re.compile(TICKER_PATTERN)


def valid_ticker(ticker: str) -> bool:
    """The shape every message's tickers have (shared.messages.ids)."""
    return _TICKER.fullmatch(ticker) is not None


def grouped_day(ticker: str) -> date | None:
    """The day of a `*grouped YYYY-MM-DD` pseudo-ticker (a failed grouped day), else None."""
    if not ticker.startswith(GROUPED_DAY_PREFIX):
        return None
    try:
        return date.fromisoformat(ticker.removeprefix(GROUPED_DAY_PREFIX))
    except ValueError:
        return None


BAR_COLUMNS = (
    "ticker",
    "trading_date",
    "adjusted",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "vwap",
    "transactions",
    "otc",
    "bar_ts_ms",
    "source",
    "run_id",
    "object_key",
)


def no_data(head: ObjectHeader) -> TickerError:
    """A ticker the run named whose range answer held no bar (POLYGON_API.md §5: an unknown or
    not-yet-listed symbol answers the same, empty)."""
    return TickerError(kind="no_data", reason=f"no bars from {head.from_} to {head.to}")


class MalformedObject(ValueError):
    """The object cannot be read at all (no valid header): dead-lettered."""


def parse_header(line: bytes | None) -> ObjectHeader:
    if line is None:
        raise MalformedObject("empty object")
    try:
        return ObjectHeader.model_validate_json(line)
    except ValidationError as exc:
        raise MalformedObject(f"bad header: {exc.errors()[0]['msg']}") from exc


def _number(bar: dict[str, Any], key: str) -> float:
    value = bar[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{key} is not a finite number: {value!r}")
    return float(value)


def _count(value: Any) -> int:
    """A trade count: a whole number a bigint holds, never a bool, float or string."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
        raise ValueError(f"n is not a count: {value!r}")
    return int(value)


def _prices(bar: dict[str, Any]) -> tuple[float, float, float, float, float]:
    """o, h, l, c, v as floats; each must be a finite number (not a bool, not a string)."""
    values = (bar["o"], bar["h"], bar["l"], bar["c"], bar["v"])
    # Fast path for the usual case: one fsum and type check instead of five checks.
    try:
        fine = math.isfinite(math.fsum(values)) and bool not in map(type, values)
    except TypeError:
        fine = False
    if not fine:
        for key in "ohlcv":
            _number(bar, key)
    o, h, lo, c, v = values
    return float(o), float(h), float(lo), float(c), float(v)


def bar_row(bar: dict[str, Any], ticker: str, head: ObjectHeader, key: str) -> BarRow:
    t = bar["t"]
    if not isinstance(t, int) or isinstance(t, bool):
        raise ValueError(f"t is not an integer: {t!r}")
    if not 0 <= t < 2**63:
        raise ValueError(f"t is out of range: {t!r}")
    vw, n = bar.get("vw"), bar.get("n")
    return (
        ticker,
        trading_date_of(t),
        head.adjusted,
        *_prices(bar),
        None if vw is None else _number(bar, "vw"),
        None if n is None else _count(n),
        bool(bar.get("otc", False)),
        t,
        head.source,
        head.run_id,
        key,
    )


def ticker_line(
    line: bytes, head: ObjectHeader, key: str
) -> tuple[str | None, list[BarRow], TickerError | None]:
    """(ticker, rows, error) of one line. A bad line costs its ticker, never the batch."""
    try:
        item = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return (
            None,
            [],
            TickerError(kind="malformed_object", reason=f"unreadable line: {exc}"[:300]),
        )
    if _plain(item) and valid_ticker(item["ticker"]):
        rows = fast_rows(item.get("bars", []), item["ticker"], head, key)
        if rows is not None:
            return item["ticker"], rows, None
    return _checked_line(item, head, key)


def _plain(item: Any) -> bool:
    """A line as the fetcher writes it for a ticker with bars: no error, a list of bars."""
    return (
        type(item) is dict
        and type(item.get("ticker")) is str
        and bool(item["ticker"])
        and item.get("error") is None
        and type(item.get("bars", [])) is list
    )


def _checked_line(
    item: Any, head: ObjectHeader, key: str
) -> tuple[str | None, list[BarRow], TickerError | None]:
    """The line bar by bar through the model: slower, and names what is wrong."""
    try:
        model = TickerBars.model_validate(item)
    except ValidationError as exc:
        return (
            None,
            [],
            TickerError(kind="malformed_object", reason=f"unreadable line: {exc}"[:300]),
        )
    if model.error is not None and grouped_day(model.ticker) is not None:
        return model.ticker, [], model.error
    if not valid_ticker(model.ticker):
        # Named by its line (the caller's `<line N>`): the ticker itself cannot be stored.
        reason = f"not a ticker (whitespace, control characters or over 32): {model.ticker!r}"
        return None, [], TickerError(kind="invalid_ticker", reason=reason[:300])
    if model.error is not None:
        return model.ticker, [], model.error
    try:
        rows = [bar_row(b, model.ticker, head, key) for b in model.bars]
    except (KeyError, ValueError, TypeError, OverflowError, OSError) as exc:
        return model.ticker, [], TickerError(kind="malformed_bar", reason=f"bad bar: {exc}"[:300])
    return model.ticker, rows, None


TICKER_COLUMNS = (
    "ticker",
    "name",
    "market",
    "locale",
    "primary_exchange",
    "type",
    "active",
    "currency_name",
    "cik",
    "composite_figi",
    "share_class_figi",
    "last_updated_utc",
    "delisted_utc",
    "run_id",
    "object_key",
)


def _timestamp(value: Any) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def ticker_row(line: bytes, head: ObjectHeader, key: str) -> tuple[Any, ...]:
    """A listing entry as a row; ValueError (the entry is skipped) when a value cannot be
    stored in its column."""
    item = orjson.loads(line)
    if not isinstance(item, dict) or not isinstance(item.get("ticker"), str):
        raise ValueError("ticker entry without a ticker")
    if not valid_ticker(item["ticker"]):
        raise ValueError(f"not a ticker: {item['ticker']!r}"[:200])
    values = [item.get(c) for c in TICKER_COLUMNS[1:11]]
    for column, value in zip(TICKER_COLUMNS[1:11], values, strict=True):
        wanted = bool if column == "active" else str
        if value is not None and type(value) is not wanted:
            raise ValueError(f"{column} is not a {wanted.__name__}: {value!r}"[:200])
        if isinstance(value, str) and "\x00" in value:
            raise ValueError(f"{column} holds a NUL")
    return (
        item["ticker"],
        *values,
        _timestamp(item.get("last_updated_utc")),
        _timestamp(item.get("delisted_utc")),
        head.run_id,
        key,
    )


def first_failed_day(errors: list[tuple[str, TickerError]]) -> date | None:
    """The earliest grouped day the fetcher could not get (recorded as `*grouped YYYY-MM-DD`)."""
    days = [day for t, _ in errors if (day := grouped_day(t)) is not None]
    return min(days, default=None)
