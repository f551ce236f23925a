"""Bars computed on demand from the walks: one ticker's history, or one day's cross-section.

Bars are never stored. A ticker's history is recomputed from its walk in well under a
millisecond; a grouped day starts from per-block checkpoints of every ticker's walk
(a few MB), so memory stays bounded whatever the universe and horizon.
"""

from __future__ import annotations

import threading

import numpy as np
import numpy.typing as npt

from services.polygon_sim.market.hashing import U64
from services.polygon_sim.market.prices import I64, BarColumns, BarInputs, compute_bars, log_returns
from services.polygon_sim.market.universe import Listing

_BLOCK = 32  # sessions per walk checkpoint: grouped cost ~ block x universe, memory ~ 1 / block


class BarEngine:
    """Bars of a fixed list of listings; `today` (a session index) only decides the adjustment."""

    def __init__(self, listings: list[Listing]) -> None:
        ls = self._listings = listings
        self._keys: U64 = np.array([x.key for x in ls], dtype=np.uint64)
        self._sigma = np.array([x.sigma for x in ls], dtype=np.float64)
        self._vscale = np.array([x.volume_scale for x in ls], dtype=np.float64)
        self._illiquid = np.array([x.illiquid for x in ls], dtype=np.bool_)
        flat = [(i, s.index, s.to, s.from_) for i, x in enumerate(ls) for s in x.splits]
        self._splits = np.array(flat, dtype=np.int64).reshape(-1, 4)
        self._checkpoints: list[I64] = [np.array([x.log_p0 for x in ls], dtype=np.int64)]
        self._lock = threading.Lock()

    def history(
        self, x: Listing, lo: int, hi: int, adjusted: bool, today: int
    ) -> tuple[I64, BarColumns]:
        """Bars of one listing for sessions [lo, hi) within its span, and their sessions."""
        lo, hi = max(lo, x.first_index), min(hi, x.last_index + 1)
        if lo >= hi:
            lo = hi = 0
        walk = x.log_p0 + np.cumsum(
            log_returns(np.full(hi, x.key, np.uint64), np.arange(hi), x.sigma)
        )
        prev = np.concatenate(([x.log_p0], walk[:-1]))
        sessions = np.arange(lo, hi, dtype=np.int64)
        num, den = np.ones(hi - lo, np.int64), np.ones(hi - lo, np.int64)
        adj_num, adj_den = np.ones(hi - lo, np.int64), np.ones(hi - lo, np.int64)
        for split in x.splits:
            ahead = sessions < split.index
            num[ahead] *= split.to
            den[ahead] *= split.from_
            if split.index <= today:
                adj_num[ahead] *= split.to
                adj_den[ahead] *= split.from_
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
                adjust_num=adj_num,
                adjust_den=adj_den,
            ),
            adjusted,
        )
        return sessions[cols.traded], select(cols, cols.traded)

    def cross_section(
        self, s: int, live: npt.NDArray[np.bool_], adjusted: bool, today: int
    ) -> tuple[I64, BarColumns]:
        """Bars of session `s` for the listings flagged `live`, and their positions."""
        pos = np.flatnonzero(live)
        block = s // _BLOCK
        base = self.checkpoint(block)[pos]
        days = np.arange(block * _BLOCK, s + 1, dtype=np.int64)[:, None]
        steps = log_returns(self._keys[pos][None, :], days, self._sigma[pos][None, :])
        walk = base + steps.sum(axis=0)
        ahead = self._splits[self._splits[:, 1] > s]
        done = ahead[ahead[:, 1] <= today]
        num, den = self._factor(ahead)
        adj_num, adj_den = self._factor(done)
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
                adjust_num=adj_num[pos],
                adjust_den=adj_den[pos],
            ),
            adjusted,
        )
        return pos[cols.traded], select(cols, cols.traded)

    def checkpoint(self, block: int) -> I64:
        """Every ticker's walk just before session `block * _BLOCK`, extending the list lazily."""
        with self._lock:
            while len(self._checkpoints) <= block:
                b = len(self._checkpoints) - 1
                days = np.arange(b * _BLOCK, (b + 1) * _BLOCK, dtype=np.int64)[:, None]
                steps = log_returns(self._keys[None, :], days, self._sigma[None, :])
                self._checkpoints.append(self._checkpoints[-1] + steps.sum(axis=0))
            return self._checkpoints[block]

    def warm(self, through: int) -> None:
        """Compute the checkpoints of every session up to `through` now."""
        self.checkpoint(max(0, through) // _BLOCK)

    def _factor(self, splits: I64) -> tuple[I64, I64]:
        num, den = np.ones(len(self._listings), np.int64), np.ones(len(self._listings), np.int64)
        np.multiply.at(num, splits[:, 0], splits[:, 2])
        np.multiply.at(den, splits[:, 0], splits[:, 3])
        return num, den


def select(cols: BarColumns, mask: npt.NDArray[np.bool_]) -> BarColumns:
    """The bars where `mask` is true."""
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
