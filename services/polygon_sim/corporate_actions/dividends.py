"""Cash dividends: which listings pay, on which schedule, and how much (a share of the price).

Every draw is a hash of (seed, ticker, draw number) and every amount a share of the as-traded
close before the ex-date, so dividends depend on the seed and the listing, never on the clock.
All of it is computed for all payers at once (10,000 tickers over ten years: about 2 s).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from services.polygon_sim.corporate_actions.events import EPOCH_ORDINAL, I64, Events, business_day
from services.polygon_sim.market.calendar import TradingCalendar
from services.polygon_sim.market.hashing import mix, stable_u64, unit
from services.polygon_sim.market.prices import log_returns
from services.polygon_sim.market.universe import LOG_SCALE, Listing

F64 = npt.NDArray[np.float64]

_PAYER_P = {"CS": 0.35, "ETF": 0.6, "PFD": 0.9, "ADRC": 0.3, "FUND": 0.8}
_MONTHLY_P = {"CS": 0.05, "ETF": 0.25, "FUND": 1.0}
_SPECIAL_P = 0.02  # chance per year that a common stock pays one special dividend
_MIN_CLOSE = 2.0  # no dividend on a stock trading below this: amounts stay far below the price
_FIRST_GAP = 40  # sessions between listing and a first ex-date
_FORCED = ("split", "reverse")  # roles that pay whatever the draw, so tiny universes have payers
_CHUNK = 256  # payers whose walks are computed together


def dividend_events(seed: int, listings: list[Listing], calendar: TradingCalendar) -> Events:
    """Every dividend of the listings, regular (CD) and special (SC), grouped by listing."""
    d = _draws(seed, listings)
    regular = _schedule(
        calendar,
        d.first[d.payer],
        d.last[d.payer],
        d.monthly[d.payer],
        d.u[2][d.payer],
        d.u[3][d.payer],
    )
    owner = np.flatnonzero(d.payer)[regular[0]]
    special = d.common & (d.v[0] < 1 - np.exp(-_SPECIAL_P * (d.last - d.first) / 252))
    special_at = d.first + np.floor(d.v[1] * (d.last - d.first)).astype(np.int64)
    owners = np.concatenate((owner, np.flatnonzero(special)))
    sessions = np.concatenate((regular[1], special_at[special]))
    is_special = np.arange(len(owners)) >= len(owner)
    order = np.lexsort((sessions, owners))
    owners, sessions, is_special = owners[order], sessions[order], is_special[order]
    share = np.where(
        is_special,
        0.02 + 0.06 * d.v[2][owners],
        (0.002 + 0.008 * d.v[3][owners]) / np.where(d.monthly[owners], 3, 1),
    )
    close = _closes_before(listings, d.pos[owners], sessions)
    keep = close >= _MIN_CLOSE
    owners = owners[keep]
    return _events(
        listings,
        calendar,
        d.pos[owners],
        sessions[keep],
        is_special[keep],
        share[keep] * close[keep],
        d.monthly[owners],
        d.keys[owners],
    )


@dataclass(frozen=True)
class _Draws:
    """Per eligible listing: its position, hash key, uniform draws and schedule parameters."""

    pos: I64
    keys: npt.NDArray[np.uint64]
    u: list[F64]  # payer, monthly, phase, day of month
    v: list[F64]  # special, its session, its share, the regular share
    payer: npt.NDArray[np.bool_]
    monthly: npt.NDArray[np.bool_]
    common: npt.NDArray[np.bool_]
    first: I64  # first session an ex-date may fall on
    last: I64


def _draws(seed: int, listings: list[Listing]) -> _Draws:
    xs = [x for x in listings if _eligible(x)]
    keys = np.array([stable_u64("dividends", seed, x.ticker) for x in xs], dtype=np.uint64)
    u = [unit(mix(keys, np.full(len(xs), 0, np.int64), 11), lane) for lane in range(4)]
    v = [unit(mix(keys, np.full(len(xs), 1, np.int64), 11), lane) for lane in range(4)]
    forced = np.array([x.role in _FORCED for x in xs], dtype=np.bool_)
    return _Draws(
        pos=np.array([i for i, x in enumerate(listings) if _eligible(x)], dtype=np.int64),
        keys=keys,
        u=u,
        v=v,
        payer=(u[0] < [_PAYER_P.get(x.type, 0.0) for x in xs]) | forced,
        monthly=u[1] < [_MONTHLY_P.get(x.type, 0.0) for x in xs],
        common=np.array([x.type == "CS" for x in xs], dtype=np.bool_),
        first=np.array([x.first_index for x in xs], np.int64) + _FIRST_GAP,
        last=np.array([x.last_index for x in xs], np.int64),
    )


def _eligible(x: Listing) -> bool:
    if x.illiquid or x.market != "stocks" or x.last_index - x.first_index < 3 * _FIRST_GAP:
        return False
    return not (x.role == "special" and x.type == "CS")  # like Berkshire, never pays


def _schedule(
    calendar: TradingCalendar, first: I64, last: I64, monthly: npt.NDArray[np.bool_], u: F64, w: F64
) -> tuple[I64, I64]:
    """(payer number, ex session) of every regular dividend: a fixed day of every 1st or 3rd
    month, moved to the next session."""
    step = np.where(monthly, 1, 3)
    m_first = _months(calendar.ordinals[first]) + np.floor(u * step).astype(np.int64)
    m_last = _months(calendar.ordinals[last])
    count = np.maximum(0, (m_last - m_first) // step + 1)
    payer = np.repeat(np.arange(len(first)), count)
    k = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    month = m_first[payer] + k * step[payer]
    day_of_month = 1 + np.floor(w * 28).astype(np.int64)[payer]
    wanted = month.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    ordinals = wanted + day_of_month - 1 + EPOCH_ORDINAL
    sessions = np.searchsorted(calendar.ordinals, ordinals, side="left").astype(np.int64)
    keep = (sessions >= first[payer]) & (sessions <= last[payer])
    return payer[keep], sessions[keep]


def _months(ordinals: I64) -> I64:
    days = (ordinals - EPOCH_ORDINAL).astype("datetime64[D]")
    months: I64 = days.astype("datetime64[M]").astype(np.int64)
    return months


def _closes_before(listings: list[Listing], owners: I64, sessions: I64) -> F64:
    """As-traded closes (before tick rounding) of the sessions before `sessions`."""
    out = np.zeros(len(sessions))
    starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
    bounds = list(zip(starts, np.r_[starts[1:], len(owners)], strict=True))
    for c in range(0, len(bounds), _CHUNK):
        chunk = bounds[c : c + _CHUNK]
        xs = [listings[int(owners[a])] for a, _ in chunk]
        hi = int(max(sessions[a:b].max() for a, b in chunk))
        keys = np.array([x.key for x in xs], dtype=np.uint64)
        sigma = np.array([x.sigma for x in xs])
        walks = np.cumsum(log_returns(keys[None, :], np.arange(hi)[:, None], sigma[None, :]), 0)
        for j, ((a, b), x) in enumerate(zip(chunk, xs, strict=True)):
            before = sessions[a:b] - 1
            factor = np.ones(b - a)
            for split in x.splits:
                factor[before < split.index] *= split.to / split.from_
            out[a:b] = np.exp((x.log_p0 + walks[before, j]) / LOG_SCALE) * factor
    return out


def _events(
    listings: list[Listing],
    calendar: TradingCalendar,
    pos: I64,
    sessions: I64,
    special: npt.NDArray[np.bool_],
    amount: F64,
    monthly: npt.NDArray[np.bool_],
    keys: npt.NDArray[np.uint64],
) -> Events:
    day = calendar.ordinals[sessions]
    notice = 7 + (mix(keys, sessions, 12) % np.uint64(29)).astype(np.int64)
    pay_lag = 5 + (mix(keys, sessions, 13) % np.uint64(21)).astype(np.int64)
    announced = business_day(day - notice, "backward")
    record = next_sessions(calendar, sessions)
    return Events(
        names=tuple(x.ticker for x in listings),
        ticker=pos,
        day=day,
        announced=announced,
        variant=special.astype(np.int64),
        columns={
            "cash_amount": np.maximum(np.round(amount, 2), 0.01),
            "dividend_type": special.astype(np.int64),  # 0 CD, 1 SC
            "frequency": np.where(special, 0, np.where(monthly, 12, 4)).astype(np.int64),
            "declaration_date": announced,  # also a column, so the API can filter on it
            "record_date": record,
            "pay_date": business_day(record, "forward", pay_lag),
        },
    )


def next_sessions(calendar: TradingCalendar, sessions: I64) -> I64:
    """Record dates: settlement takes one business day, so the session after the ex-date."""
    after = np.minimum(sessions + 1, len(calendar) - 1)
    ordinals = calendar.ordinals
    result: I64 = np.where(sessions + 1 < len(calendar), ordinals[after], ordinals[sessions] + 1)
    return result
