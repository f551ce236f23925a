"""The loader's hot path: a ticker's well-formed bars into table rows a column at a time. Any
bar that is not plainly valid sends the line to the bar-by-bar path, which names the problem."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain, repeat
from operator import contains, itemgetter
from typing import Any

from shared.clients.polygon import trading_date_of
from shared.messages.raw_objects import ObjectHeader

BarRow = tuple[Any, ...]


_REQUIRED = itemgetter("t", "o", "h", "l", "c", "v")
_OPTIONAL = itemgetter("vw", "n")
_NUMBERS = frozenset({int, float})
_FLOATS = frozenset({float})
_OPTIONAL_NUMBERS = frozenset({int, float, type(None)})
_OPTIONAL_COUNTS = frozenset({int, type(None)})


def _floats(values: tuple[Any, ...], types: set[type]) -> tuple[Any, ...] | map[float]:
    return values if types <= _FLOATS else map(float, values)


def _optional(bars: list[dict[str, Any]]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """The vw and n columns, None where a bar has none; at C speed when every bar has both."""
    try:
        vw, n = zip(*map(_OPTIONAL, bars), strict=True)
    except KeyError:
        return tuple(b.get("vw") for b in bars), tuple(b.get("n") for b in bars)
    return vw, n


def fast_rows(bars: list[Any], ticker: str, head: ObjectHeader, key: str) -> list[BarRow] | None:
    """The rows of well-formed bars, checked a column at a time instead of a bar at a time
    (the loader's hot path); None when any bar is not plainly valid, so that `bar_row` finds
    and names the problem. Values come from orjson, which never yields NaN or infinity, so a
    number of type int or float (never bool) is finite."""
    if not bars:
        return []
    if set(map(type, bars)) != {dict}:
        return None
    try:
        t, o, h, lo, c, v = zip(*map(_REQUIRED, bars), strict=True)
    except KeyError:
        return None
    prices = set(map(type, chain(o, h, lo, c, v)))
    if set(map(type, t)) != {int} or min(t) < 0 or max(t) >= 2**63 or not prices <= _NUMBERS:
        return None
    vw, n = _optional(bars)
    vw_types, counts = set(map(type, vw)), [x for x in n if x is not None]
    if not vw_types <= _OPTIONAL_NUMBERS or not set(map(type, n)) <= _OPTIONAL_COUNTS:
        return None
    if counts and (min(counts) < 0 or max(counts) >= 2**63):
        return None
    if int in vw_types:
        vw = tuple(None if x is None else float(x) for x in vw)
    otc: Iterable[bool] = repeat(False)
    if any(map(contains, bars, repeat("otc"))):
        otc = [bool(b.get("otc", False)) for b in bars]
    try:
        dates = list(map(trading_date_of, t))
    except (OverflowError, OSError, ValueError):  # beyond the calendar: `bar_row` says so
        return None
    return list(
        zip(
            repeat(ticker),
            dates,
            repeat(head.adjusted),
            *(_floats(col, prices) for col in (o, h, lo, c, v)),
            vw,
            n,
            otc,
            t,
            repeat(head.source),
            repeat(head.run_id),
            repeat(key),
        )
    )
