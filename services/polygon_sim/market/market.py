"""The simulated market and its ground truth: tickers, sessions, bars and corporate actions.

The market is fixed by (seed, universe size, history start, history end) and runs on to a
horizon years past the history's end. What is visible depends on `today` (the clock, default
the history's end): listings, bars and known events up to it, adjusted for splits executed by it.
"""

from __future__ import annotations

import threading
from dataclasses import fields as dataclass_fields
from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np

from services.polygon_sim.corporate_actions.store import CorporateActions, build_actions
from services.polygon_sim.market.bar_engine import BarEngine
from services.polygon_sim.market.calendar import TradingCalendar
from services.polygon_sim.market.rows import Row, render_rows
from services.polygon_sim.market.universe import Listing, build_listings

HORIZON_YEARS = 5  # the market runs this many calendar years past the history's end


class Market:
    """A deterministic US stock market: same arguments, same tickers, bars and events."""

    def __init__(
        self, seed: int, universe_size: int, history_start: date, history_end: date | None = None
    ) -> None:
        end = history_end or today_in_new_york()
        self.seed = seed
        self.history_start = history_start
        self.history_end = end
        self.horizon_end = date(end.year + HORIZON_YEARS, 12, 31)
        self.calendar = TradingCalendar(history_start, self.horizon_end)
        window = self.calendar.last_through(end) + 1
        listings = build_listings(seed, universe_size, window, len(self.calendar))
        self._listings = sorted(listings, key=lambda x: x.ticker)
        self._by_ticker = {x.ticker: x for x in self._listings}
        self._first = np.array([x.first_index for x in self._listings], dtype=np.int64)
        self._last = np.array([x.last_index for x in self._listings], dtype=np.int64)
        self._otc = np.array([x.otc for x in self._listings], dtype=np.bool_)
        self.engine = BarEngine(self._listings)
        self._views: dict[int, dict[str, Listing]] = {}
        self._actions: dict[bool, CorporateActions] = {}
        self._lock = threading.Lock()

    # The clock --------------------------------------------------------------------------------

    def today_index(self, today: date | None = None) -> int:
        """The last session on or before `today` (default: the history's end); -1 if none."""
        return self.calendar.last_through(today or self.history_end)

    # Reference data -------------------------------------------------------------------------

    def tickers(self, today: date | None = None) -> list[Listing]:
        """Every listing known at `today`, delisted ones included, sorted by ticker.

        Seen from `today`: a later listing is absent, a later delisting has not happened,
        `last_index` is at most today's session and `splits` are those executed by then.
        """
        return list(self._view(self.today_index(today)).values())

    def listing(self, ticker: str, today: date | None = None) -> Listing | None:
        """The listing of an exact (case-sensitive) ticker as seen at `today`, or None."""
        return self._view(self.today_index(today)).get(ticker)

    def sessions(self, start: date, end: date, today: date | None = None) -> list[date]:
        """The trading days within [start, end], up to `today`."""
        lo, hi = self.calendar.span(start, end)
        return self.calendar.days[lo : min(hi, self.today_index(today) + 1)]

    def warm(self, today: date | None = None) -> None:
        """Compute the walk checkpoints up to `today` and the corporate actions now."""
        self.engine.warm(self.today_index(today))
        self.corporate_actions()

    # Bars -----------------------------------------------------------------------------------

    def bars(
        self, ticker: str, start: date, end: date, adjusted: bool = True, today: date | None = None
    ) -> list[Row]:
        """Range-endpoint bars (t at New York midnight) of a ticker within [start, end]."""
        lo, hi = self.calendar.span(start, end)
        return self.range_rows(ticker, lo, hi, adjusted, today)

    def range_rows(
        self, ticker: str, lo: int, hi: int, adjusted: bool, today: date | None = None
    ) -> list[Row]:
        """Range-endpoint bars of a ticker, sessions [lo, hi) up to today, oldest first."""
        listing = self._by_ticker.get(ticker)
        if listing is None:
            return []
        now = self.today_index(today)
        sessions, cols = self.engine.history(listing, lo, min(hi, now + 1), adjusted, now)
        t = self.calendar.open_ms[sessions].tolist()
        return render_rows(cols, t, None, [listing.otc] * len(t))

    def grouped(
        self,
        day: date,
        adjusted: bool = True,
        include_otc: bool = False,
        today: date | None = None,
    ) -> list[Row]:
        """Grouped-daily rows (T per row, t at 16:00 New York) of one day, sorted by ticker."""
        s, now = self.calendar.index_of(day), self.today_index(today)
        if s is None or s > now:
            return []
        live = (self._first <= s) & (self._last >= s) & (include_otc | ~self._otc)
        pos, cols = self.engine.cross_section(s, live, adjusted, now)
        tickers = [self._listings[i].ticker for i in pos.tolist()]
        otc = self._otc[pos].tolist()
        return render_rows(cols, [int(self.calendar.close_ms[s])] * len(tickers), tickers, otc)

    # Corporate actions ----------------------------------------------------------------------

    def corporate_actions(self, bad: bool = False) -> CorporateActions:
        """The split and dividend books (built once); `bad` adds the hostile events."""
        with self._lock:
            if False not in self._actions:
                self._actions[False] = build_actions(self)
            if bad and True not in self._actions:
                self._actions[True] = self._actions[False].with_bad(self)
            return self._actions[bad]

    def splits(
        self,
        tickers: list[str] | None = None,
        start: date | None = None,
        end: date | None = None,
        today: date | None = None,
    ) -> list[Row]:
        """The genuine splits known at `today`, executing within [start, end], by date."""
        return self.corporate_actions().truth(
            "splits", tickers, start, end, today or self.history_end
        )

    def dividends(
        self,
        tickers: list[str] | None = None,
        start: date | None = None,
        end: date | None = None,
        today: date | None = None,
    ) -> list[Row]:
        """The genuine dividends known at `today`, going ex within [start, end], by date."""
        return self.corporate_actions().truth(
            "dividends", tickers, start, end, today or self.history_end
        )

    def _view(self, now: int) -> dict[str, Listing]:
        if now not in self._views:
            if len(self._views) >= 8:
                self._views.pop(next(iter(self._views)))
            self._views[now] = {
                x.ticker: seen_at(x, now) for x in self._listings if x.first_index <= now
            }
        return self._views[now]


def seen_at(x: Listing, now: int) -> Listing:
    """A listing as known at session `now` (`dataclasses.replace` is too slow for 12,000)."""
    fields = [getattr(x, f) for f in _FIELDS]
    fields[_LAST] = min(x.last_index, now)
    fields[_DELISTED] = x.delisted and x.last_index <= now
    fields[_SPLITS] = tuple(s for s in x.splits if s.index <= now)
    return Listing(*fields)


_FIELDS = tuple(f.name for f in dataclass_fields(Listing))
_LAST, _DELISTED, _SPLITS = (_FIELDS.index(f) for f in ("last_index", "delisted", "splits"))


def today_in_new_york() -> date:
    """Today's date in New York."""
    return datetime.now(ZoneInfo("America/New_York")).date()
