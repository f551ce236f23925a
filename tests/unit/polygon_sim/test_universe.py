"""The universe is deterministic and holds the odd cases a pipeline must cope with."""

from __future__ import annotations

import pytest

from services.polygon_sim.market.market import Market
from services.polygon_sim.market.universe import build_listings

pytestmark = pytest.mark.unit


class TestUniverse:
    def test_same_seed_same_universe(self) -> None:
        """Two builds from one seed are identical; another seed gives other tickers."""
        first = build_listings(3, 200, 500)

        assert first == build_listings(3, 200, 500)
        assert [x.ticker for x in first] != [x.ticker for x in build_listings(4, 200, 500)]

    def test_odd_symbols_are_listed(self, market: Market) -> None:
        """Class shares with a dot and a CQS-style preferred are part of the universe."""
        tickers = {x.ticker for x in market.tickers()}

        assert {"BRK.A", "BRK.B", "KIMpL"} <= tickers

    def test_tickers_are_unique(self, market: Market) -> None:
        """No symbol is listed twice."""
        tickers = [x.ticker for x in market.tickers()]

        assert len(tickers) == len(set(tickers))

    def test_small_universe_has_delisted_late_split_and_otc(self, market: Market) -> None:
        """Even 300 tickers include a delisting, a mid-window listing, a split and OTC names."""
        listings = market.tickers()
        cases = {
            "delisted": any(x.delisted for x in listings),
            "late": any(x.first_index > 0 for x in listings),
            "split": any(x.splits for x in listings),
            "otc": any(x.otc for x in listings),
        }

        assert {"delisted": True, "late": True, "split": True, "otc": True} == cases

    def test_default_size_universe_is_large_and_varied(self) -> None:
        """The default-sized universe has about 12,000 unique tickers of many types."""
        listings = build_listings(42, 12_000, 2_500)

        assert 12_000 == len({x.ticker for x in listings})
        assert {"CS", "ETF", "PFD", "WARRANT"} <= {x.type for x in listings}
