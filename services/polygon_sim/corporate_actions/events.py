"""Corporate actions as columns: splits from the listings, rows rendered as the API serves them.

Events live in numpy columns (a whole-market dividend history has hundreds of thousands of
rows), dates as proleptic ordinals; a row dict is built only for the events a page serves.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from services.polygon_sim.market.calendar import TradingCalendar
from services.polygon_sim.market.hashing import stable_u64
from services.polygon_sim.market.universe import Listing

I64 = npt.NDArray[np.int64]
Row = dict[str, Any]
DIVIDEND_TYPES = ("CD", "SC", "LT", "ST")
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()  # datetime64[D] 0 as a proleptic ordinal


@dataclass(frozen=True)
class Events:
    """Events of one kind: `day` is the date the API filters and sorts on (execution or ex-date),
    `announced` the date from which the event is known. Same (ticker, day, variant), same id."""

    names: tuple[str, ...]  # sorted; `ticker` indexes it
    ticker: I64
    day: I64
    announced: I64
    variant: I64
    columns: dict[str, npt.NDArray[Any]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.day)

    def plus(self, other: Events) -> Events:
        """These events and `other`'s in one table (tickers re-indexed over both name lists)."""
        names = tuple(sorted(set(self.names) | set(other.names)))
        where = np.array(names, dtype=object)

        def remap(e: Events) -> I64:
            at = np.searchsorted(where, np.array(e.names, dtype=object))
            return at.astype(np.int64)[e.ticker]

        def cat(a: npt.NDArray[Any], b: npt.NDArray[Any]) -> npt.NDArray[Any]:
            return np.concatenate((a, b))

        return Events(
            names=names,
            ticker=cat(remap(self), remap(other)),
            day=cat(self.day, other.day),
            announced=cat(self.announced, other.announced),
            variant=cat(self.variant, other.variant),
            columns={k: cat(v, other.columns[k]) for k, v in self.columns.items()},
        )


def event_id(seed: int, kind: str, ticker: str, day: int, variant: int) -> str:
    """A stable id shaped like the API's: "E" and 64 hex digits."""
    raw = f"{seed}|{kind}|{ticker}|{day}|{variant}".encode()
    return "E" + hashlib.blake2b(raw, digest_size=32).hexdigest()


@lru_cache(maxsize=65_536)
def iso(ordinal: int) -> str:
    """YYYY-MM-DD of a proleptic ordinal."""
    return date.fromordinal(ordinal).isoformat()


def number(value: float) -> float | int:
    """A ratio as the API writes it: 2 rather than 2.0."""
    return int(value) if float(value).is_integer() else float(value)


def split_rows(e: Events, idx: I64, seed: int) -> list[Row]:
    """Splits as /v3/reference/splits serves them."""
    names = [e.names[t] for t in e.ticker[idx].tolist()]
    days, variants = e.day[idx].tolist(), e.variant[idx].tolist()
    split_from = e.columns["split_from"][idx].tolist()
    split_to = e.columns["split_to"][idx].tolist()
    return [
        {
            "execution_date": iso(day),
            "id": event_id(seed, "split", ticker, day, variant),
            "split_from": number(sf),
            "split_to": number(st),
            "ticker": ticker,
        }
        for ticker, day, variant, sf, st in zip(
            names, days, variants, split_from, split_to, strict=True
        )
    ]


def dividend_rows(e: Events, idx: I64, seed: int) -> list[Row]:
    """Dividends as /v3/reference/dividends serves them."""
    c = e.columns
    names = [e.names[t] for t in e.ticker[idx].tolist()]
    fields = zip(
        names,
        e.day[idx].tolist(),
        e.variant[idx].tolist(),
        e.announced[idx].tolist(),
        c["cash_amount"][idx].tolist(),
        c["dividend_type"][idx].tolist(),
        c["frequency"][idx].tolist(),
        c["pay_date"][idx].tolist(),
        c["record_date"][idx].tolist(),
        strict=True,
    )
    return [
        {
            "cash_amount": cash,
            "currency": "USD",
            "declaration_date": iso(declared),
            "dividend_type": DIVIDEND_TYPES[kind],
            "ex_dividend_date": iso(day),
            "frequency": frequency,
            "id": event_id(seed, "dividend", ticker, day, variant),
            "pay_date": iso(pay),
            "record_date": iso(record),
            "ticker": ticker,
        }
        for ticker, day, variant, declared, cash, kind, frequency, pay, record in fields
    ]


def split_events(seed: int, listings: list[Listing], calendar: TradingCalendar) -> Events:
    """Every split of the listings (sorted by ticker), announced 5-40 days before it executes."""
    flat = [(i, s) for i, x in enumerate(listings) for s in x.splits]
    day = np.array([calendar.days[s.index].toordinal() for _, s in flat], dtype=np.int64)
    lead = np.array(
        [5 + stable_u64("split-notice", seed, listings[i].ticker, s.index) % 36 for i, s in flat],
        dtype=np.int64,
    )
    split_from = np.array([s.from_ for _, s in flat], dtype=np.float64)
    split_to = np.array([s.to for _, s in flat], dtype=np.float64)
    return Events(
        names=tuple(x.ticker for x in listings),
        ticker=np.array([i for i, _ in flat], dtype=np.int64),
        day=day,
        announced=business_day(day - lead, "backward"),
        variant=np.zeros(len(flat), dtype=np.int64),
        columns={"split_from": split_from, "split_to": split_to, "reverse": split_from > split_to},
    )


def business_day(ordinals: I64, roll: str, offset: int | I64 = 0) -> I64:
    """Ordinals moved to a weekday (`roll` forward or backward), then `offset` weekdays on."""
    days = (ordinals - EPOCH_ORDINAL).astype("datetime64[D]")
    moved = np.busday_offset(days, offset, roll=roll)  # type: ignore[call-overload]
    result: I64 = moved.astype(np.int64) + EPOCH_ORDINAL
    return result
