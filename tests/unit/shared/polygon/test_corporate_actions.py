"""Splits and dividends: the query each kind sends, pagination, and items kept as sent."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from shared.clients.polygon import PolygonMalformedResponse

from .fakes import Harness, ok

pytestmark = pytest.mark.unit

SPLIT = {"id": "E1", "ticker": "AAPL", "execution_date": "2024-06-10", "split_from": 1,
         "split_to": 4}  # fmt: skip
ODD = {"id": "E2", "ticker": "X", "execution_date": "2024-06-11", "split_from": 0, "split_to": "?"}


async def _all(h: Harness, **kwargs: Any) -> list[dict[str, Any]]:
    kind = kwargs.pop("kind", "splits")
    start, end = date(2024, 1, 2), date(2024, 12, 31)
    pages = h.client.corporate_actions(kind, start, end, **kwargs)
    return [e async for page in pages for e in page]


class TestQueries:
    async def test_splits_filter_and_sort_on_the_execution_date(self) -> None:
        """Splits: execution_date range, sorted ascending, the largest page."""
        h = Harness([ok({"status": "OK", "results": []})])

        await _all(h)

        sent = h.script.requests[0]
        expected = {
            "sort": "execution_date",
            "order": "asc",
            "limit": "1000",
            "execution_date.gte": "2024-01-02",
            "execution_date.lte": "2024-12-31",
        }
        assert ("/v3/reference/splits", expected) == (sent.url.path, dict(sent.url.params))

    async def test_dividends_of_one_ticker_filter_on_the_ex_date(self) -> None:
        """Dividends: ex_dividend_date range and, when given, the ticker."""
        h = Harness([ok({"status": "OK", "results": []})])

        await _all(h, kind="dividends", ticker="BRK.B")

        params = dict(h.script.requests[0].url.params)
        expected = ("/v3/reference/dividends", "BRK.B", "2024-01-02")
        actual = (h.script.requests[0].url.path, params["ticker"], params["ex_dividend_date.gte"])
        assert expected == actual


class TestItems:
    async def test_pages_are_followed_and_items_kept_as_sent(self) -> None:
        """Every page's items, odd values included: judging them is the loader's job."""
        next_url = "https://api.example/v3/reference/splits?cursor=abc"
        h = Harness(
            [
                ok({"status": "OK", "results": [SPLIT], "next_url": next_url}),
                ok({"status": "OK", "results": [ODD]}),
            ]
        )

        items = await _all(h)

        assert ([SPLIT, ODD], "cursor=abc") == (items, h.script.requests[1].url.query.decode())

    async def test_an_item_that_is_not_an_object_is_a_malformed_answer(self) -> None:
        """A page whose results hold a non-object cannot be split into events."""
        h = Harness([ok({"status": "OK", "results": [SPLIT, 3]})])

        with pytest.raises(PolygonMalformedResponse):
            await _all(h)
