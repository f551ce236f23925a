"""A run of named tickers gets their reference rows without listing the universe."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import cast

import pytest

from services.lister.named_tickers import named_refs
from shared.clients.polygon import PolygonClient, TickerRef

pytestmark = pytest.mark.unit


def ref(ticker: str, active: bool = True) -> TickerRef:
    raw = {"ticker": ticker, "name": ticker, "market": "stocks", "locale": "us", "active": active}
    return TickerRef.model_validate({**raw, "raw": raw})


class ReferenceEndpoint:
    """`/v3/reference/tickers?ticker=X&active=...`: exact match, active (default) or delisted."""

    def __init__(self, refs: list[TickerRef]) -> None:
        self.refs = refs
        self.asked: list[tuple[str | None, bool | None]] = []

    async def list_tickers(
        self, *, active: bool | None = True, ticker: str | None = None
    ) -> AsyncIterator[TickerRef]:
        self.asked.append((ticker, active))
        for r in self.refs:
            if r.ticker == ticker and (active is None or r.active == active):
                yield r


class TestNamedRefs:
    async def test_stored_rows_cost_nothing(self) -> None:
        """Every name stored by an earlier listing: no request at all."""
        api = ReferenceEndpoint([])
        stored = {"AAPL": ref("AAPL"), "MSFT": ref("MSFT")}

        got = await named_refs(cast(PolygonClient, api), ["AAPL", "MSFT"], stored)

        assert (["AAPL", "MSFT"], [], []) == (
            [r.ticker for r in got.refs],
            got.fetched,
            api.asked,
        )

    async def test_a_new_name_is_asked_for_alone(self) -> None:
        """A listed name never stored: one exact request."""
        api = ReferenceEndpoint([ref("NVDA"), ref("OTHER")])

        got = await named_refs(cast(PolygonClient, api), ["NVDA"], {})

        assert (["NVDA"], [("NVDA", True)]) == ([r.ticker for r in got.fetched], api.asked)

    async def test_a_delisted_name_takes_a_second_request(self) -> None:
        """Not listed: asked for among the delisted names too, and found there."""
        api = ReferenceEndpoint([ref("GONE", active=False)])

        got = await named_refs(cast(PolygonClient, api), ["GONE"], {})

        assert (["GONE"], []) == ([r.ticker for r in got.fetched], got.not_found)
        assert [("GONE", True), ("GONE", False)] == api.asked

    async def test_a_name_in_neither_is_not_found(self) -> None:
        """Case counts: `Aapl` is not `AAPL`."""
        api = ReferenceEndpoint([ref("AAPL")])

        got = await named_refs(cast(PolygonClient, api), ["Aapl", "AAPL"], {})

        assert (["Aapl"], ["AAPL"]) == (got.not_found, [r.ticker for r in got.fetched])
