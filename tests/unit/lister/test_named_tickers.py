"""A run of named tickers gets their reference rows without listing the universe."""

from __future__ import annotations

import pytest

from services.lister.named_tickers import named_refs
from shared.clients.polygon import TickerRef
from tests.fakes.polygon import FakePolygonClient

pytestmark = pytest.mark.unit


def ref(ticker: str, active: bool = True) -> TickerRef:
    raw = {"ticker": ticker, "name": ticker, "market": "stocks", "locale": "us", "active": active}
    return TickerRef.model_validate({**raw, "raw": raw})


class TestNamedRefs:
    async def test_stored_rows_cost_nothing(self) -> None:
        """Every name stored by an earlier listing: no request at all."""
        api = FakePolygonClient([])
        stored = {"AAPL": ref("AAPL"), "MSFT": ref("MSFT")}

        got = await named_refs(api, ["AAPL", "MSFT"], stored)

        assert (["AAPL", "MSFT"], [], []) == (
            [r.ticker for r in got.refs],
            got.fetched,
            api.listing_calls,
        )

    async def test_a_new_name_is_asked_for_alone(self) -> None:
        """A listed name never stored: one exact request."""
        api = FakePolygonClient([ref("NVDA"), ref("OTHER")])

        got = await named_refs(api, ["NVDA"], {})

        assert (["NVDA"], [("NVDA", True)]) == ([r.ticker for r in got.fetched], api.listing_calls)

    async def test_a_delisted_name_takes_a_second_request(self) -> None:
        """Not listed: asked for among the delisted names too, and found there."""
        api = FakePolygonClient([ref("GONE", active=False)])

        got = await named_refs(api, ["GONE"], {})

        assert (["GONE"], []) == ([r.ticker for r in got.fetched], got.not_found)
        assert [("GONE", True), ("GONE", False)] == api.listing_calls

    async def test_a_name_in_neither_is_not_found(self) -> None:
        """Case counts: `Aapl` is not `AAPL`."""
        api = FakePolygonClient([ref("AAPL")])

        got = await named_refs(api, ["Aapl", "AAPL"], {})

        assert (["Aapl"], ["AAPL"]) == (got.not_found, [r.ticker for r in got.fetched])
