"""The loader's pure logic for splits and dividends: each event as sent becomes a row, or a
rejection with its reason. Nothing a vendor sends can make an adjustment factor 0, negative or
NaN: a ratio or amount out of range never becomes a row."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MAX_ID = 200

SPLIT_COLUMNS = ("id", "ticker", "execution_date", "split_from", "split_to")
DIVIDEND_COLUMNS = (
    "id",
    "ticker",
    "ex_dividend_date",
    "cash_amount",
    "currency",
    "declaration_date",
    "record_date",
    "pay_date",
    "frequency",
    "dividend_type",
)


@dataclass(frozen=True)
class Rejected:
    event_id: str
    ticker: str | None
    reason: str
    payload: str  # the event as sent, JSON


def _text(event: dict[str, Any], key: str, required: bool = True) -> str | None:
    value = event.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > _MAX_ID:
        raise ValueError(f"{key} is not a short string: {value!r}"[:200])
    if _CONTROL.search(value):
        raise ValueError(f"{key} has control characters")
    return value


def _day(event: dict[str, Any], key: str, required: bool = True) -> date | None:
    value = event.get(key)
    if value is None and not required:
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{key} is not a date: {value!r}"[:200])


def _number(event: dict[str, Any], key: str, positive: bool) -> float:
    value = event.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{key} is not a finite number: {value!r}"[:200])
    if value < 0 or (positive and value == 0):
        raise ValueError(f"{key} must be {'> 0' if positive else '>= 0'}: {value!r}")
    return float(value)


def _frequency(event: dict[str, Any]) -> int | None:
    value = event.get("frequency")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 366:
        raise ValueError(f"frequency is not a count a year: {value!r}"[:200])
    return int(value)


def split_row(event: dict[str, Any]) -> tuple[Any, ...]:
    return (
        _text(event, "id"),
        _text(event, "ticker"),
        _day(event, "execution_date"),
        _number(event, "split_from", positive=True),
        _number(event, "split_to", positive=True),
    )


def dividend_row(event: dict[str, Any]) -> tuple[Any, ...]:
    return (
        _text(event, "id"),
        _text(event, "ticker"),
        _day(event, "ex_dividend_date"),
        _number(event, "cash_amount", positive=False),
        _text(event, "currency", required=False),
        _day(event, "declaration_date", required=False),
        _day(event, "record_date", required=False),
        _day(event, "pay_date", required=False),
        _frequency(event),
        _text(event, "dividend_type", required=False),
    )


ROWS: dict[str, Callable[[dict[str, Any]], tuple[Any, ...]]] = {
    "splits": split_row,
    "dividends": dividend_row,
}


def event_rows(kind: str, lines: list[bytes]) -> tuple[list[tuple[Any, ...]], list[Rejected]]:
    """Rows (keyed by id, first column) and rejections. An id sent twice with the same values
    is one row; with different values every copy is rejected, since neither can be trusted."""
    to_row = ROWS[kind]
    by_id: dict[str, list[tuple[tuple[Any, ...], str]]] = {}
    rejected: list[Rejected] = []
    for n, line in enumerate(lines, start=2):  # line 1 is the header
        event, payload = _parsed(line)
        try:
            if event is None:
                raise ValueError("not a JSON object")
            row = to_row(event)
        except ValueError as exc:
            rejected.append(_rejection(event, payload, n, str(exc)))
            continue
        by_id.setdefault(row[0], []).append((row, payload))
    rows = []
    for copies in by_id.values():
        if len({row for row, _ in copies}) == 1:
            rows.append(copies[0][0])
            continue
        for n, (row, payload) in enumerate(copies):
            reason = f"conflicting values for one id in one answer ({len(copies)} copies)"
            rejected.append(Rejected(f"{row[0]}#{n}", row[1], reason, payload))
    return rows, rejected


def _parsed(line: bytes) -> tuple[dict[str, Any] | None, str]:
    """The event, and its JSON for the ledger (jsonb holds no NUL: it becomes U+FFFD)."""
    try:
        event = orjson.loads(line)
    except orjson.JSONDecodeError:
        event = line.decode("utf-8", "replace")
    payload = orjson.dumps(_without_nul(event)).decode()
    return (event if isinstance(event, dict) else None), payload


def _without_nul(value: Any) -> Any:
    """The value with NUL characters as U+FFFD, keys too: jsonb cannot hold a NUL."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


def _rejection(event: dict[str, Any] | None, payload: str, n: int, reason: str) -> Rejected:
    event = event or {}
    eid, ticker = event.get("id"), event.get("ticker")
    ok = isinstance(eid, str) and 0 < len(eid) <= _MAX_ID and not _CONTROL.search(eid)
    return Rejected(
        eid if ok else f"<line {n}>",  # type: ignore[arg-type]
        ticker if isinstance(ticker, str) and not _CONTROL.search(ticker) else None,
        reason,
        payload,
    )
