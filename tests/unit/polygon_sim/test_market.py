"""Bars from the Python ground truth: consistent, split-adjusted, bounded by listing dates."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.polygon_sim.market.calendar import ms_to_ny_date
from services.polygon_sim.market.market import Market
from services.polygon_sim.market.universe import Listing

from .conftest import END, START

pytestmark = pytest.mark.unit


def _all_bars(market: Market, adjusted: bool) -> list[dict[str, Any]]:
    return [b for x in market.tickers() for b in market.bars(x.ticker, START, END, adjusted)]


def _split_listing(market: Market) -> Listing:
    return next(x for x in market.tickers() if len(x.splits) == 1 and not x.delisted)


class TestBarInvariants:
    @pytest.mark.parametrize("adjusted", [True, False])
    def test_ohlc_is_consistent(self, market: Market, adjusted: bool) -> None:
        """low <= open, close, vw <= high, all prices positive and volume non-negative."""
        broken = [
            b
            for b in _all_bars(market, adjusted)
            if not (0 < b["l"] <= min(b["o"], b["c"]) and max(b["o"], b["c"]) <= b["h"])
            or not b["l"] <= b.get("vw", b["l"]) <= b["h"]
            or b["v"] < 0
        ]

        assert [] == broken

    def test_feed_quirks_occur(self, market: Market) -> None:
        """Some bars have a fractional volume, some lack vw, some lack n, as the real feed does."""
        bars = _all_bars(market, True)
        quirks = {
            "fractional_v": any(float(b["v"]) % 1 != 0 for b in bars),
            "no_vw": any("vw" not in b for b in bars),
            "no_n": any("n" not in b for b in bars),
        }

        assert {"fractional_v": True, "no_vw": True, "no_n": True} == quirks

    def test_bars_are_deterministic(self, market: Market) -> None:
        """A second market from the same arguments serves the very same bars."""
        twin = Market(market.seed, 300, START, END)

        assert market.bars("BRK.B", START, END) == twin.bars("BRK.B", START, END)


class TestSplitAdjustment:
    def test_adjusted_differs_before_split_and_agrees_after(self, market: Market) -> None:
        """Before the split every adjusted bar differs from the traded one; after, they match."""
        listing = _split_listing(market)
        split_day = market.calendar.days[listing.splits[0].index]
        adjusted = market.bars(listing.ticker, START, END, adjusted=True)
        raw = market.bars(listing.ticker, START, END, adjusted=False)
        pairs = list(zip(adjusted, raw, strict=True))
        before = [(a, r) for a, r in pairs if _day(a["t"]) < split_day]
        after = [(a, r) for a, r in pairs if _day(a["t"]) >= split_day]

        assert [] == [a for a, r in before if a["c"] == r["c"]]
        assert [r for _, r in after] == [a for a, _ in after]
        assert 0 < len(before) and 0 < len(after)

    def test_adjusted_price_is_traded_price_over_split_ratio(self, market: Market) -> None:
        """The day before a split, adjusted close = traded close x from / to (to 4 decimals)."""
        listing = _split_listing(market)
        split = listing.splits[0]
        day = market.calendar.days[split.index - 1]
        (adjusted,) = market.bars(listing.ticker, day, day, adjusted=True)
        (raw,) = market.bars(listing.ticker, day, day, adjusted=False)

        assert round(raw["c"] * split.from_ / split.to, 4) == adjusted["c"]


class TestListingSpan:
    def test_bars_start_at_listing(self, market: Market) -> None:
        """A ticker listed mid-window has its first bar on its listing session."""
        listing = next(x for x in market.tickers() if x.first_index > 0 and not x.illiquid)
        bars = market.bars(listing.ticker, START, END)

        assert market.calendar.days[listing.first_index] == _day(bars[0]["t"])

    def test_bars_stop_at_delisting(self, market: Market) -> None:
        """A delisted ticker has no bar after its last trading session."""
        listing = next(x for x in market.tickers() if x.delisted and not x.illiquid)
        bars = market.bars(listing.ticker, START, END)

        assert market.calendar.days[listing.last_index] == _day(bars[-1]["t"])


class TestRangeAndGroupedAgree:
    @pytest.mark.parametrize("day", [date(2023, 1, 3), date(2024, 3, 8), date(2025, 6, 30)])
    @pytest.mark.parametrize("adjusted", [True, False])
    def test_same_bar_either_way_except_t(self, market: Market, day: date, adjusted: bool) -> None:
        """Each grouped row equals that ticker's range bar for the day in every field but t."""
        grouped = market.grouped(day, adjusted, include_otc=True)
        from_grouped = {
            r["T"]: {k: v for k, v in r.items() if k not in ("T", "t")} for r in grouped
        }
        from_range = {
            x.ticker: {k: v for k, v in bars[0].items() if k != "t"}
            for x in market.tickers()
            if (bars := market.bars(x.ticker, day, day, adjusted))
        }

        assert from_range == from_grouped
        assert 250 < len(from_grouped)


def _day(t: object) -> date:
    return ms_to_ny_date(int(str(t)))
