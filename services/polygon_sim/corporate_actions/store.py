"""The market's split and dividend books, built once, with the hostile events when asked for."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Literal

from services.polygon_sim.corporate_actions.book import BookQuery, EventBook
from services.polygon_sim.corporate_actions.dividends import dividend_events
from services.polygon_sim.corporate_actions.events import (
    I64,
    Events,
    Row,
    dividend_rows,
    split_events,
    split_rows,
)
from services.polygon_sim.faults.bad_actions import BadAction, bad_actions

if TYPE_CHECKING:
    from services.polygon_sim.market.market import Market

Kind = Literal["splits", "dividends"]


@dataclass(frozen=True)
class CorporateActions:
    """One book per kind; `bad` lists the hostile events these books hold (none: genuine only)."""

    splits: EventBook
    dividends: EventBook
    bad: tuple[BadAction, ...] = field(default=())

    def book(self, kind: Kind) -> EventBook:
        """The book of a kind."""
        return self.splits if kind == "splits" else self.dividends

    def truth(
        self,
        kind: Kind,
        tickers: list[str] | None,
        start: date | None,
        end: date | None,
        today: date,
    ) -> list[Row]:
        """Every event of `kind` known at `today` for the tickers (None: all), by date."""
        days: dict[str, int] = {}
        if start:
            days["gte"] = start.toordinal()
        if end:
            days["lte"] = end.toordinal()
        out: list[Row] = []
        for ticker in tickers if tickers is not None else [""]:
            query = BookQuery(tickers={"eq": ticker} if ticker else {}, days=days, limit=10**9)
            out.extend(self.book(kind).page(query, today.toordinal()).rows)
        return out

    def with_bad(self, market: Market) -> CorporateActions:
        """These books plus the hostile events of `bad_actions`."""
        extra_splits, extra_dividends, listed = bad_actions(market)
        return CorporateActions(
            splits=EventBook(self.splits.events.plus(extra_splits), self.splits.render),
            dividends=EventBook(self.dividends.events.plus(extra_dividends), self.dividends.render),
            bad=tuple(listed),
        )


def build_actions(market: Market) -> CorporateActions:
    """The genuine splits and dividends of the market's whole horizon."""
    listings = market.tickers(market.horizon_end)
    seed, cal = market.seed, market.calendar
    dividends = dividend_events(seed, listings, cal)
    return CorporateActions(
        splits=EventBook(split_events(seed, listings, cal), partial(_split, seed)),
        dividends=EventBook(dividends, partial(_dividend, seed)),
    )


def _split(seed: int, events: Events, idx: I64) -> list[Row]:
    return split_rows(events, idx, seed)


def _dividend(seed: int, events: Events, idx: I64) -> list[Row]:
    return dividend_rows(events, idx, seed)
