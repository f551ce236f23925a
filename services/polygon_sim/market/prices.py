"""The bar formula: log-price random walks and, from them, OHLCV bars, elementwise over arrays.

Every input is an array with one element per bar (or a broadcastable scalar), and every operation
is elementwise, so a bar comes out bit-identical whether it is computed in a one-ticker history
(range endpoint) or in a one-day cross-section of the whole market (grouped endpoint).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from services.polygon_sim.market.hashing import U64, mix, normal, unit
from services.polygon_sim.market.universe import LOG_SCALE

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B8 = npt.NDArray[np.bool_]

_MIN_PRICE = 0.0001


@dataclass(frozen=True, slots=True)
class BarInputs:
    """What a bar depends on: walk state before and after the session, and ticker parameters."""

    keys: U64
    sessions: I64
    logc_prev: I64
    logc: I64
    sigma: F64
    volume_scale: F64
    illiquid: B8
    factor_num: I64  # split factor (new shares per old) still to come after this session
    factor_den: I64
    # The part of that factor already executed at the clock's today: what `adjusted` undoes.
    adjust_num: I64
    adjust_den: I64


@dataclass(frozen=True, slots=True)
class BarColumns:
    """Bars as parallel columns; NaN `vw` and negative `n` mean the field is absent."""

    o: F64
    h: F64
    low: F64
    c: F64
    v: F64
    vw: F64
    n: I64
    traded: B8  # False: no trade that session, hence no bar at all


def log_returns(keys: U64, sessions: I64, sigma: F64 | float) -> I64:
    """Daily log-price steps in millionths; integers, so any summation order gives one answer."""
    step = sigma * normal(mix(keys, sessions, 0)) * LOG_SCALE
    return np.rint(step).astype(np.int64)


def compute_bars(x: BarInputs, adjusted: bool) -> BarColumns:
    """Bars for each element of `x`, split-adjusted or as traded, with OHLC always consistent.

    As traded, a bar is the walk times every split still to come (whatever the clock says);
    adjusted divides it by the splits executed by the clock's today, as the real API does.
    """
    shape = mix(x.keys, x.sessions, 1)
    extra = mix(x.keys, x.sessions, 2)
    prev = np.exp(x.logc_prev / LOG_SCALE)
    close = np.exp(x.logc / LOG_SCALE)
    open_ = prev * np.exp(x.sigma * 0.4 * (2.0 * unit(shape, 0) - 1.0))
    high = np.maximum(open_, close) * np.exp(x.sigma * 0.7 * unit(shape, 1))
    low = np.minimum(open_, close) * np.exp(-x.sigma * 0.7 * unit(shape, 2))
    vwap = low + (high - low) * unit(shape, 3)
    factor = x.factor_num / x.factor_den
    adjust = x.adjust_num / x.adjust_den
    # Exchange tick size: cents at a dollar and above, hundredths of a cent below; one scale per
    # bar, and rounding is monotonic, so low <= open, close, vw <= high survives it.
    scale = np.where(low * factor >= 1.0, 100.0, 10_000.0)
    prices = [_traded(p, factor, adjust, scale, adjusted) for p in (open_, high, low, close, vwap)]
    flags = unit(extra, 2)
    volume = np.maximum(
        np.rint(x.volume_scale * np.exp(unit(extra, 0) + unit(extra, 1) - 1.0) / factor), 1.0
    )
    # About one bar in a hundred has a fractional volume, as the real feed sometimes does.
    volume = np.where(flags < 0.01, volume + 0.1 * (1.0 + np.floor(flags * 90_000) % 9), volume)
    trades = np.maximum(np.rint(volume / 150.0), 1.0).astype(np.int64)
    if adjusted:
        volume = np.where(adjust == 1.0, volume, np.rint(volume * adjust * 10_000) / 10_000)
    return BarColumns(
        o=prices[0],
        h=prices[1],
        low=prices[2],
        c=prices[3],
        v=volume,
        vw=np.where((flags >= 0.01) & (flags < 0.02), np.nan, prices[4]),
        n=np.where((flags >= 0.015) & (flags < 0.025), -1, trades),
        traded=~(x.illiquid & (unit(extra, 3) < 0.03)),
    )


def _traded(price: F64, factor: F64, adjust: F64, scale: F64, adjusted: bool) -> F64:
    """The as-traded price rounded to the tick; adjusted divides it by the executed splits."""
    raw = np.maximum(np.rint(np.maximum(price, 0.01) * factor * scale) / scale, _MIN_PRICE)
    if not adjusted:
        return raw
    back = np.maximum(np.rint(raw / adjust * 10_000) / 10_000, _MIN_PRICE)
    # With no executed split ahead the adjusted bar is the traded bar, exactly.
    return np.where(adjust == 1.0, raw, back)
