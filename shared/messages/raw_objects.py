"""The raw objects in MinIO: newline-delimited JSON, a header line then one line per item.

A batch object holds, for each ticker, either the bars exactly as the API sent them (its own
single-letter keys) or why the ticker failed. The tickers object holds the listing as sent; a
splits or dividends object holds one event per line as sent, or, when the API could not be
read, no line and the error in its header.
Lines keep the loader's memory bounded: it reads one line at a time. No secret is ever written.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

from .ids import Id

FORMAT_VERSION = 1
# A grouped-daily day that failed is recorded under this pseudo-ticker plus its ISO date.
GROUPED_DAY_PREFIX = "*grouped "


def object_key(prefix: str, run_id: str, batch_id: str) -> str:
    """Deterministic, so a re-fetch overwrites the same object. Ids are key-safe by pattern."""
    return f"{run_prefix(prefix, run_id)}{batch_id}.jsonl"


def run_prefix(prefix: str, run_id: str) -> str:
    """Where every object of a run is."""
    return f"{prefix}polygon/{run_id}/"


def batch_of(key: str) -> str:
    """The batch id an object key names (the inverse of object_key's last segment)."""
    return key.rsplit("/", 1)[-1].removesuffix(".jsonl")


class _Line(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


class TickerError(_Line):
    kind: str = Field(description="e.g. malformed_response, not_entitled, gave_up")
    reason: str


class ObjectHeader(_Line):
    """The first line of every raw object."""

    kind: Literal["daily_bars", "tickers", "splits", "dividends"]
    format_version: int = FORMAT_VERSION
    run_id: Id
    batch_id: Id
    source: Literal[
        "aggs_range",
        "grouped_daily",
        "reference_tickers",
        "reference_splits",
        "reference_dividends",
    ]
    adjusted: bool = False
    from_: date | None = Field(None, alias="from")
    to: date | None = None
    items: int = Field(ge=0, description="How many lines follow")
    api_requests: int = Field(0, ge=0)
    tickers: list[str] | None = Field(
        None, description="Corporate actions: the tickers covered; None is the whole market"
    )
    error: TickerError | None = Field(
        None, description="Corporate actions: why the events could not be fetched"
    )


class TickerBars(_Line):
    """One ticker's outcome: its bars as sent by the API, or its error."""

    ticker: str = Field(min_length=1)
    bars: list[dict[str, Any]] = Field(default_factory=list)
    error: TickerError | None = None


def encode_header(header: ObjectHeader) -> bytes:
    """The header line, newline included."""
    return header.model_dump_json(by_alias=True).encode() + b"\n"


def encode_line(item: BaseModel | dict[str, Any]) -> bytes:
    """One item's line, newline included."""
    if isinstance(item, BaseModel):
        return item.model_dump_json(exclude_none=True).encode() + b"\n"
    return orjson.dumps(item, option=orjson.OPT_APPEND_NEWLINE)


def encode_bars_line(ticker: str, bars: bytes) -> bytes:
    """A `TickerBars` line without its error, from the bars already encoded as one JSON array:
    the same bytes as `encode_line(TickerBars(ticker=ticker, bars=...))`, without a model."""
    return b'{"ticker":' + orjson.dumps(ticker) + b',"bars":' + bars + b"}\n"


def encode_object(header: ObjectHeader, items: Iterable[BaseModel | dict[str, Any]]) -> bytes:
    """Header line, then one line per item."""
    return encode_header(header) + b"".join(encode_line(item) for item in items)


__all__ = [
    "FORMAT_VERSION",
    "GROUPED_DAY_PREFIX",
    "ObjectHeader",
    "TickerBars",
    "TickerError",
    "batch_of",
    "encode_bars_line",
    "encode_header",
    "encode_line",
    "encode_object",
    "object_key",
    "run_prefix",
]
