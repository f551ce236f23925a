"""Hostile corporate actions (SIM_BAD_CORPORATE_ACTIONS): records a loader must refuse.

Placed in the second half of the history on ordinary stocks chosen by the seed (never the
role listings), so they show up in whole-market answers over that span and are easy to expect.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np

from services.polygon_sim.corporate_actions.dividends import next_sessions
from services.polygon_sim.corporate_actions.events import (
    Events,
    Row,
    business_day,
    dividend_rows,
    iso,
    split_rows,
)
from services.polygon_sim.market.calendar import TradingCalendar
from services.polygon_sim.market.hashing import stable_u64
from services.polygon_sim.market.split_draws import plain

if TYPE_CHECKING:
    from services.polygon_sim.market.market import Market

UNKNOWN_TICKER = "ZZNOTREAL"
_VARIANT = 7  # keeps the hostile ids apart from any genuine event's


@dataclass(frozen=True, slots=True)
class BadAction:
    """One hostile event: its kind, what is wrong with it, and the rows served for it."""

    kind: str  # "split" or "dividend"
    problem: str
    rows: tuple[Row, ...]
    announced: str  # served once the clock reaches this date

    def as_json(self, today: str) -> dict[str, Any]:
        """The event for /_sim/truth/bad_corporate_actions, with whether it is known at today."""
        return {
            "kind": self.kind,
            "problem": self.problem,
            "ticker": self.rows[0]["ticker"],
            "id": self.rows[0]["id"],
            "announced": self.announced,
            "known": self.announced <= today,
            "rows": list(self.rows),
        }


def bad_actions(market: Market) -> tuple[Events, Events, list[BadAction]]:
    """The hostile splits and dividends, as tables to add to the books, and their description."""
    victims = _victims(market)
    cal = market.calendar
    lo = cal.last_through(market.history_start + (market.history_end - market.history_start) / 2)
    hi = market.today_index()
    at = [cal.days[lo + (hi - lo) * k // 10] for k in (2, 3, 4, 5, 6, 7)]
    names = (*victims, UNKNOWN_TICKER)
    splits = _table(names, [(0, at[0], 0.0, 2.0), (4, at[5], 1.0, 2.0)], "split", cal)
    before = cal.days[cal.last_through(at[2]) - 1]  # the session before the ex-date
    close = float(market.bars(victims[2], before, before, adjusted=False)[0]["c"])
    hostile: list[tuple[int, date, float, float]] = [
        (1, at[1], -0.25, 0.0),
        (2, at[2], round(close * 1.5 + 0.01, 2), 0.0),
        (3, at[3], 0.31, 0.0),
        (3, at[3], 0.37, 0.0),
        (4, at[4], 0.5, 0.0),
    ]
    dividends = _table(names, hostile, "dividend", market.calendar)
    problems = [
        ("split", "split_from is 0", [0]),
        ("split", "ticker not in the universe", [1]),
        ("dividend", "negative cash_amount", [0]),
        ("dividend", "cash_amount above the previous close", [1]),
        ("dividend", "one id twice with different values", [2, 3]),
        ("dividend", "ticker not in the universe", [4]),
    ]
    listed = []
    for kind, problem, at_rows in problems:
        events = splits if kind == "split" else dividends
        render = split_rows if kind == "split" else dividend_rows
        rows = render(events, np.array(at_rows, dtype=np.int64), market.seed)
        announced = iso(int(events.announced[at_rows[0]]))
        listed.append(BadAction(kind, problem, tuple(rows), announced))
    return splits, dividends, listed


def _victims(market: Market) -> list[str]:
    """Four ordinary stocks, listed all along and without a role, picked by the seed."""
    plain_ones = [x.ticker for x in market.tickers(market.horizon_end) if plain(x) and not x.role]
    plain_ones.sort(key=lambda t: stable_u64("bad-actions", market.seed, t))
    return (plain_ones * 4)[:4] if plain_ones else ["BRK.B"] * 4


def _table(
    names: tuple[str, ...],
    events: Sequence[tuple[int, date, float, float]],
    kind: str,
    calendar: TradingCalendar,
) -> Events:
    """Events from (name index, date, value, second value); names sorted on the way."""
    order = sorted(set(names))
    ticker = np.array([order.index(names[n]) for n, *_ in events], dtype=np.int64)
    day = np.array([d.toordinal() for _, d, *_ in events], dtype=np.int64)
    announced = business_day(day - 10, "backward")
    first = np.array([v for _, _, v, _ in events], dtype=np.float64)
    second = np.array([w for *_, w in events], dtype=np.float64)
    n = len(events)
    if kind == "split":
        columns = {"split_from": first, "split_to": second, "reverse": first > second}
    else:
        record = next_sessions(calendar, np.searchsorted(calendar.ordinals, day).astype(np.int64))
        columns = {
            "declaration_date": announced,
            "cash_amount": first,
            "dividend_type": np.zeros(n, np.int64),
            "frequency": np.full(n, 4, np.int64),
            "record_date": record,
            "pay_date": business_day(record, "forward", 10),
        }
    return Events(
        names=tuple(order),
        ticker=ticker,
        day=day,
        announced=announced,
        variant=np.full(n, _VARIANT, np.int64),
        columns=columns,
    )
