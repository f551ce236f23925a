"""Cash dividends: which listings pay, on which schedule, and how much (a share of the price).

Each payer's plan comes from its own random stream and its amounts from its as-traded closes,
so the dividends depend on the seed and the listing only, never on the clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from random import Random

import numpy as np
import numpy.typing as npt

from services.polygon_sim.actions import EPOCH_ORDINAL, I64, Events, business_day
from services.polygon_sim.calendar import TradingCalendar
from services.polygon_sim.hashing import stable_u64
from services.polygon_sim.split_draws import poisson
from services.polygon_sim.universe import Listing

F64 = npt.NDArray[np.float64]
Closes = Callable[[Listing, I64], F64]  # as-traded closes of a listing at some sessions

_PAYER_P = {"CS": 0.35, "ETF": 0.6, "PFD": 0.9, "ADRC": 0.3, "FUND": 0.8}
_MONTHLY_P = {"CS": 0.05, "ETF": 0.25, "FUND": 1.0}
_SPECIALS_PER_YEAR = 0.01  # one-time specials of common stocks
_MIN_CLOSE = 2.0  # no dividend on a stock trading below this: amounts stay far below the price
_FIRST_GAP = 40  # sessions between listing and a first ex-date
_FORCED = ("split", "reverse")  # roles that pay whatever the draw, so tiny universes have payers
_COLUMNS = (
    "cash_amount",
    "dividend_type",
    "frequency",
    "declaration_date",
    "record_date",
    "pay_date",
)


@dataclass(frozen=True, slots=True)
class _Plan:
    frequency: int  # 4 quarterly or 12 monthly
    phase: int  # month offset of the first payment within a period
    day_of_month: int
    notice: int  # calendar days between declaration and ex-date
    pay_lag: int  # business days between record and pay date
    share: float  # amount as a share of the previous close, per payment


def dividend_events(
    seed: int, listings: list[Listing], calendar: TradingCalendar, closes: Closes
) -> Events:
    """Every dividend of the listings (regular and special), in listing order."""
    parts = []
    for pos, x in enumerate(listings):
        rng = Random(stable_u64("dividends", seed, x.ticker))
        if x.illiquid or x.market != "stocks" or x.last_index - x.first_index < 2 * _FIRST_GAP:
            continue
        if x.role == "special" and x.type == "CS":
            continue  # like Berkshire, the class shares never pay
        plan = _plan(rng, x)
        regular = _regular_sessions(plan, x, calendar) if plan else np.zeros(0, np.int64)
        special = _special_sessions(rng, x) if x.type == "CS" else np.zeros(0, np.int64)
        for sessions, kind in ((regular, 0), (special, 1)):
            if len(sessions):
                parts.append(_table(pos, x, plan, sessions, kind, rng, calendar, closes))
    names = tuple(x.ticker for x in listings)
    if not parts:
        empty = np.zeros(0, np.int64)
        return Events(names, empty, empty, empty, empty, {k: empty for k in _COLUMNS})
    col = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    return Events(
        names=names,
        ticker=col.pop("ticker"),
        day=col.pop("day"),
        announced=col.pop("announced"),
        variant=col.pop("variant"),
        columns=col,
    )


def _plan(rng: Random, x: Listing) -> _Plan | None:
    payer = rng.random() < _PAYER_P.get(x.type, 0.0)
    monthly = rng.random() < _MONTHLY_P.get(x.type, 0.0)
    plan = _Plan(
        frequency=12 if monthly else 4,
        phase=rng.randrange(3),
        day_of_month=rng.randint(1, 28),
        notice=rng.randint(7, 35),
        pay_lag=rng.randint(5, 25),
        share=rng.uniform(0.002, 0.01) / (3 if monthly else 1),
    )
    return plan if payer or x.role in _FORCED else None


def _regular_sessions(plan: _Plan, x: Listing, calendar: TradingCalendar) -> I64:
    """Sessions of the ex-dates: a fixed day of every 1st or 3rd month, on or after it."""
    first = np.datetime64(calendar.days[x.first_index + _FIRST_GAP], "M")
    last = np.datetime64(calendar.days[x.last_index], "M")
    step = 12 // plan.frequency
    months = np.arange(first + plan.phase % step, last + 1, step)
    wanted = months.astype("datetime64[D]") + (plan.day_of_month - 1)
    ordinals = wanted.astype(np.int64) + EPOCH_ORDINAL
    sessions = np.searchsorted(calendar.ordinals, ordinals, side="left").astype(np.int64)
    keep = (sessions >= x.first_index + _FIRST_GAP) & (sessions <= x.last_index)
    return np.unique(sessions[keep])


def next_sessions(calendar: TradingCalendar, sessions: I64) -> I64:
    """Record dates: settlement takes one business day, so the session after the ex-date."""
    after = np.minimum(sessions + 1, len(calendar) - 1)
    result: I64 = np.where(
        sessions + 1 < len(calendar), calendar.ordinals[after], calendar.ordinals[sessions] + 1
    )
    return result


def _special_sessions(rng: Random, x: Listing) -> I64:
    years = (x.last_index - x.first_index) / 252
    count = poisson(rng, _SPECIALS_PER_YEAR * years)
    lo, hi = x.first_index + _FIRST_GAP, x.last_index
    return np.unique(np.array([rng.randint(lo, hi) for _ in range(count)], dtype=np.int64))


def _table(
    pos: int,
    x: Listing,
    plan: _Plan | None,
    sessions: I64,
    special: int,
    rng: Random,
    calendar: TradingCalendar,
    closes: Closes,
) -> dict[str, npt.NDArray[np.generic]]:
    before = closes(x, sessions - 1)
    share = rng.uniform(0.02, 0.08) if special else (plan.share if plan else 0.005)
    keep = before >= _MIN_CLOSE
    sessions, before = sessions[keep], before[keep]
    day = calendar.ordinals[sessions]
    notice = plan.notice if plan else 14
    record = next_sessions(calendar, sessions)
    n = len(sessions)
    announced = business_day(day - notice, "backward")
    return {
        "ticker": np.full(n, pos, np.int64),
        "day": day,
        "announced": announced,
        "variant": np.full(n, special, np.int64),
        "cash_amount": np.maximum(np.round(before * share, 2), 0.01),
        "dividend_type": np.full(n, special, np.int64),  # 0 CD, 1 SC
        "frequency": np.full(n, 0 if special else (plan.frequency if plan else 4), np.int64),
        "declaration_date": announced,  # also a column, so the API can filter on it
        "record_date": record,
        "pay_date": business_day(record, "forward", plan.pay_lag if plan else 10),
    }
