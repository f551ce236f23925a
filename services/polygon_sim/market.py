"""The simulated market and its ground truth: tickers, sessions, and bars computed on demand.

Bars are never stored. A ticker's history is recomputed from its walk in well under a
millisecond; a grouped day starts from per-block checkpoints of every ticker's walk
(a few MB), so memory stays bounded whatever the universe and window.
"""

from __future__ import annotations

import threading
from datetime import date
from zoneinfo import ZoneInfo

import numpy as np

from services.polygon_sim.calendar import TradingCalendar
from services.polygon_sim.hashing import U64
from services.polygon_sim.prices import I64, BarColumns, BarInputs, compute_bars, log_returns
from services.polygon_sim.rows import Row, render_rows
from services.polygon_sim.universe import Listing, build_listings

_BLOCK = 32  # sessions per walk checkpoint: grouped cost ~ block x universe, memory ~ 1 / block


class Market:
    """A deterministic US stock market: same arguments, same tickers and bars, every time."""

    def __init__(
        self, seed: int, universe_size: int, history_start: date, history_end: date | None = None
    ) -> None:
        end = history_end or _today_in_new_york()
        self.seed = seed
        self.calendar = TradingCalendar(history_start, end)
        self.history_end = end
        listings = build_listings(seed, universe_size, len(self.calendar))
        self._listings = sorted(listings, key=lambda x: x.ticker)
        self._by_ticker = {x.ticker: x for x in self._listings}
        self._pos = {x.ticker: i for i, x in enumerate(self._listings)}
        ls = self._listings
        self._keys: U64 = np.array([x.key for x in ls], dtype=np.uint64)
        self._sigma = np.array([x.sigma for x in ls], dtype=np.float64)
        self._vscale = np.array([x.volume_scale for x in ls], dtype=np.float64)
        self._first = np.array([x.first_index for x in ls], dtype=np.int64)
        self._last = np.array([x.last_index for x in ls], dtype=np.int64)
        self._illiquid = np.array([x.illiquid for x in ls], dtype=np.bool_)
        self._otc = np.array([x.otc for x in ls], dtype=np.bool_)
        flat = [(i, s.index, s.to, s.from_) for i, x in enumerate(ls) for s in x.splits]
        self._splits = np.array(flat, dtype=np.int64).reshape(-1, 4)
        self._checkpoints: list[I64] = [np.array([x.log_p0 for x in ls], dtype=np.int64)]
        self._lock = threading.Lock()

    # Reference data -------------------------------------------------------------------------

    def tickers(self) -> list[Listing]:
        """Every listing, delisted ones included, sorted by ticker."""
        return list(self._listings)

    def listing(self, ticker: str) -> Listing | None:
        """The listing of an exact (case-sensitive) ticker, or None."""
        return self._by_ticker.get(ticker)

    def sessions(self, start: date, end: date) -> list[date]:
        """The trading days within [start, end] inside the simulated window."""
        lo, hi = self.calendar.span(start, end)
        return self.calendar.days[lo:hi]

    def warm(self) -> None:
        """Compute every walk checkpoint now, so no grouped request pays for them later."""
        self._checkpoint((len(self.calendar) - 1) // _BLOCK)

    # Bars -----------------------------------------------------------------------------------

    def bars(self, ticker: str, start: date, end: date, adjusted: bool = True) -> list[Row]:
        """Range-endpoint bars (t at New York midnight) of a ticker within [start, end]."""
        lo, hi = self.calendar.span(start, end)
        return self.range_rows(ticker, lo, hi, adjusted)

    def range_rows(self, ticker: str, lo: int, hi: int, adjusted: bool) -> list[Row]:
        """Range-endpoint bars of a ticker for session indices [lo, hi), oldest first."""
        listing = self._by_ticker.get(ticker)
        if listing is None:
            return []
        sessions, cols = self._history(listing, lo, hi, adjusted)
        t = self.calendar.open_ms[sessions].tolist()
        return render_rows(cols, t, None, [listing.otc] * len(t))

    def grouped(self, day: date, adjusted: bool = True, include_otc: bool = False) -> list[Row]:
        """Grouped-daily rows (T per row, t at 16:00 New York) of one day, sorted by ticker."""
        s = self.calendar.index_of(day)
        if s is None:
            return []
        pos, cols = self._cross_section(s, adjusted, include_otc)
        tickers = [self._listings[i].ticker for i in pos.tolist()]
        otc = self._otc[pos].tolist()
        return render_rows(cols, [int(self.calendar.close_ms[s])] * len(tickers), tickers, otc)

    def _history(self, x: Listing, lo: int, hi: int, adjusted: bool) -> tuple[I64, BarColumns]:
        lo, hi = max(lo, x.first_index), min(hi, x.last_index + 1)
        if lo >= hi:
            lo = hi = 0
        steps = log_returns(np.full(hi, x.key, dtype=np.uint64), np.arange(hi), x.sigma)
        walk = x.log_p0 + np.cumsum(steps)
        prev = np.concatenate(([x.log_p0], walk[:-1]))
        sessions = np.arange(lo, hi, dtype=np.int64)
        num, den = np.ones(hi - lo, dtype=np.int64), np.ones(hi - lo, dtype=np.int64)
        for split in x.splits:
            ahead = sessions < split.index
            num[ahead] *= split.to
            den[ahead] *= split.from_
        n = hi - lo
        cols = compute_bars(
            BarInputs(
                keys=np.full(n, x.key, dtype=np.uint64),
                sessions=sessions,
                logc_prev=prev[lo:hi],
                logc=walk[lo:hi],
                sigma=np.full(n, x.sigma),
                volume_scale=np.full(n, x.volume_scale),
                illiquid=np.full(n, x.illiquid),
                factor_num=num,
                factor_den=den,
            ),
            adjusted,
        )
        return sessions[cols.traded], _select(cols, cols.traded)

    def _cross_section(self, s: int, adjusted: bool, include_otc: bool) -> tuple[I64, BarColumns]:
        live = (self._first <= s) & (self._last >= s) & (include_otc | ~self._otc)
        pos = np.flatnonzero(live)
        block = s // _BLOCK
        base = self._checkpoint(block)[pos]
        days = np.arange(block * _BLOCK, s + 1, dtype=np.int64)[:, None]
        steps = log_returns(self._keys[pos][None, :], days, self._sigma[pos][None, :])
        walk = base + steps.sum(axis=0)
        num, den = np.ones(len(self._listings), np.int64), np.ones(len(self._listings), np.int64)
        ahead = self._splits[self._splits[:, 1] > s]
        np.multiply.at(num, ahead[:, 0], ahead[:, 2])
        np.multiply.at(den, ahead[:, 0], ahead[:, 3])
        cols = compute_bars(
            BarInputs(
                keys=self._keys[pos],
                sessions=np.full(len(pos), s, dtype=np.int64),
                logc_prev=walk - steps[-1],
                logc=walk,
                sigma=self._sigma[pos],
                volume_scale=self._vscale[pos],
                illiquid=self._illiquid[pos],
                factor_num=num[pos],
                factor_den=den[pos],
            ),
            adjusted,
        )
        return pos[cols.traded], _select(cols, cols.traded)

    def _checkpoint(self, block: int) -> I64:
        """Every ticker's walk just before session `block * _BLOCK`, extending the list lazily."""
        with self._lock:
            while len(self._checkpoints) <= block:
                b = len(self._checkpoints) - 1
                days = np.arange(b * _BLOCK, (b + 1) * _BLOCK, dtype=np.int64)[:, None]
                steps = log_returns(self._keys[None, :], days, self._sigma[None, :])
                self._checkpoints.append(self._checkpoints[-1] + steps.sum(axis=0))
            return self._checkpoints[block]


def _select(cols: BarColumns, mask: np.typing.NDArray[np.bool_]) -> BarColumns:
    return BarColumns(
        o=cols.o[mask],
        h=cols.h[mask],
        low=cols.low[mask],
        c=cols.c[mask],
        v=cols.v[mask],
        vw=cols.vw[mask],
        n=cols.n[mask],
        traded=cols.traded[mask],
    )


def _today_in_new_york() -> date:
    from datetime import datetime

    return datetime.now(ZoneInfo("America/New_York")).date()
