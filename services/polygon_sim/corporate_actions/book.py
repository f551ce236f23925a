"""Pages of events by date or by ticker: two orders sorted once, a bisect, then numpy masks.

A page marker is a position in one of the two fixed orders, so it stays valid when the clock
moves (moving it only makes more events known, and those are filtered, never inserted).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from services.polygon_sim.corporate_actions.events import I64, Events, Row

Op = str  # "eq", "gt", "gte", "lt", "lte"
_NEXT = {"eq": 0, "gte": 0, "gt": 1}


@dataclass(frozen=True, slots=True)
class BookQuery:
    """What to select and how to order it; ticker and day bounds are inclusive or exclusive."""

    tickers: dict[Op, str] = field(default_factory=dict)
    days: dict[Op, int] = field(default_factory=dict)  # proleptic ordinals
    columns: tuple[tuple[str, Op, float], ...] = ()  # kind-specific filters, e.g. cash_amount
    by_ticker: bool = False
    descending: bool = False
    limit: int = 10


@dataclass(frozen=True, slots=True)
class Page:
    """The events of one page, in order, and where the next page starts (None: last page)."""

    rows: list[Row]
    next_marker: int | None


class EventBook:
    """The events of one kind, known or not yet; `page` serves those known at a given day."""

    def __init__(self, events: Events, render: Callable[[Events, I64], list[Row]]) -> None:
        self.events = e = events
        self.render = render
        self._by_day = np.lexsort((e.variant, e.ticker, e.day))
        self._by_ticker = np.lexsort((e.variant, e.day, e.ticker))
        self._day_sorted = e.day[self._by_day]
        self._ticker_sorted = e.ticker[self._by_ticker]

    def page(self, q: BookQuery, today: int, marker: int | None = None) -> Page:
        """The page of events known at `today` (an ordinal) starting at `marker`."""
        t_lo, t_hi = self._ticker_span(q.tickers)
        d_lo, d_hi = _span(q.days)
        if t_lo >= t_hi or d_lo >= d_hi:
            return Page([], None)
        by_ticker = q.by_ticker or t_hi - t_lo == 1  # one ticker: its events are in date order
        order = self._by_ticker if by_ticker else self._by_day
        keys = self._ticker_sorted if by_ticker else self._day_sorted
        a, b = (int(i) for i in np.searchsorted(keys, [t_lo, t_hi] if by_ticker else [d_lo, d_hi]))
        e = self.events

        def matching(lo: int, hi: int) -> I64:
            """Positions in [lo, hi) of `order` whose events the query selects."""
            picked = order[lo:hi]
            mask = e.announced[picked] <= today
            if by_ticker:
                mask &= (e.day[picked] >= d_lo) & (e.day[picked] < d_hi)
            else:
                mask &= (e.ticker[picked] >= t_lo) & (e.ticker[picked] < t_hi)
            for name, op, value in q.columns:
                mask &= _compare(e.columns[name][picked], op, value)
            return np.flatnonzero(mask) + lo

        # Two more than a page: one to know a next page exists, one for a duplicated id.
        hits = _scan(matching, a, b, marker, q.descending, q.limit + 2)
        n = self._page_size(order, hits, q.limit)
        rows = self.render(e, order[hits[:n]])
        return Page(rows, int(hits[n]) if n < len(hits) else None)

    def _page_size(self, order: I64, hits: I64, limit: int) -> int:
        """`limit`, or one more when the next event shares the last one's id: a vendor's
        duplicate stays within one answer, where a loader can see the conflict."""
        n = min(limit, len(hits))
        e = self.events
        while 0 < n < len(hits):
            last, nxt = order[hits[n - 1]], order[hits[n]]
            if (e.ticker[last], e.day[last], e.variant[last]) != (
                e.ticker[nxt],
                e.day[nxt],
                e.variant[nxt],
            ):
                break
            n += 1
        return n

    def _ticker_span(self, bounds: dict[Op, str]) -> tuple[int, int]:
        """Ticker indices [lo, hi) within the bounds (names are sorted, so it is a bisect)."""
        names = self.events.names
        lo, hi = 0, len(names)
        for op, value in bounds.items():
            left, right = bisect.bisect_left(names, value), bisect.bisect_right(names, value)
            if op in ("eq", "gte"):
                lo = max(lo, left)
            if op == "gt":
                lo = max(lo, right)
            if op in ("eq", "lte"):
                hi = min(hi, right)
            if op == "lt":
                hi = min(hi, left)
        return lo, max(lo, hi)


def _scan(
    matching: Callable[[int, int], I64],
    a: int,
    b: int,
    marker: int | None,
    descending: bool,
    want: int,
) -> I64:
    """At least `want` matching positions in scan order from `marker` (or the end it starts
    at), looking at ever larger windows so a page costs about its size, not the book's."""
    found: list[I64] = []
    count, step = 0, max(1024, 4 * want)
    pos = (b if marker is None else marker + 1) if descending else (a if marker is None else marker)
    while count < want and (pos > a if descending else pos < b):
        lo, hi = (max(a, pos - step), pos) if descending else (pos, min(b, pos + step))
        hits = matching(lo, hi)
        found.append(hits[::-1] if descending else hits)
        count += len(hits)
        pos, step = (lo if descending else hi), step * 2
    return np.concatenate(found) if found else np.zeros(0, np.int64)


def _span(bounds: dict[Op, int]) -> tuple[int, int]:
    """Ordinals [lo, hi) within the bounds."""
    lo, hi = 0, 10**7
    for op, value in bounds.items():
        if op in ("eq", "gte", "gt"):
            lo = max(lo, value + _NEXT[op])
        if op in ("eq", "lte"):
            hi = min(hi, value + 1)
        if op == "lt":
            hi = min(hi, value)
    return lo, max(lo, hi)


def _compare(column: npt.NDArray[np.generic], op: Op, value: float) -> npt.NDArray[np.bool_]:
    ops = {
        "eq": np.equal,
        "gt": np.greater,
        "gte": np.greater_equal,
        "lt": np.less,
        "lte": np.less_equal,
    }
    result: npt.NDArray[np.bool_] = ops[op](column, value)
    return result
