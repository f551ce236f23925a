"""One name from the reference endpoint: `ticker=` is an exact, case-sensitive filter."""

from __future__ import annotations

import pytest

from .fakes import Harness, ok

pytestmark = pytest.mark.unit


class TestTickerFilter:
    async def test_ticker_goes_as_sent(self) -> None:
        """`ticker=KIMpL` exactly as given, with the other filters."""
        h = Harness([ok({"status": "OK", "results": [], "count": 0})])

        _ = [t async for t in h.client.list_tickers(ticker="KIMpL", active=False)]

        expected = {"market": "stocks", "active": "false", "ticker": "KIMpL", "limit": "1000"}
        assert [expected] == [dict(r.url.params) for r in h.script.requests]
