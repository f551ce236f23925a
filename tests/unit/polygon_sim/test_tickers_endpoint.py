"""GET /v3/reference/tickers: filters, cursor pages and the real API's row shape."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from services.polygon_sim.market.market import Market

from .conftest import BASE_URL, ClientFactory

pytestmark = pytest.mark.unit


async def _all_pages(client: httpx.AsyncClient, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Follow next_url to the end, as a client would, and return every page body."""
    bodies = [(await client.get("/v3/reference/tickers", params=params)).json()]
    while "next_url" in bodies[-1]:
        bodies.append((await client.get(bodies[-1]["next_url"])).json())
    return bodies


class TestTickerPaging:
    async def test_paging_lists_every_active_ticker_once_sorted(
        self, sim_client: ClientFactory, market: Market
    ) -> None:
        """Following next_url with limit 37 yields each active ticker exactly once, in order."""
        async with sim_client() as client:
            bodies = await _all_pages(client, {"limit": 37})
        listed = [r["ticker"] for b in bodies for r in b["results"]]

        assert sorted(x.ticker for x in market.tickers() if not x.delisted) == listed

    async def test_page_shape(self, sim_client: ClientFactory) -> None:
        """count is this page's size; next_url is ours, holds only a padding-free cursor."""
        async with sim_client() as client:
            bodies = await _all_pages(client, {"limit": 100, "apiKey": "demo-key"})
        next_url = urlsplit(bodies[0]["next_url"])

        assert [len(b["results"]) for b in bodies] == [b["count"] for b in bodies]
        assert (BASE_URL, "/v3/reference/tickers") == (
            f"{next_url.scheme}://{next_url.netloc}",
            next_url.path,
        )
        assert next_url.query.startswith("cursor=") and "&" not in next_url.query
        assert "=" not in next_url.query.removeprefix("cursor=")
        assert "next_url" not in bodies[-1]

    async def test_optional_fields_are_left_out_not_null(self, sim_client: ClientFactory) -> None:
        """No field is ever null; some tickers simply have no cik."""
        async with sim_client() as client:
            rows = [r for b in await _all_pages(client, {"limit": 1000}) for r in b["results"]]

        assert [] == [r for r in rows if None in r.values()]
        assert any("cik" not in r for r in rows)


class TestTickerFilters:
    async def test_inactive_lists_delisted_with_date(
        self, sim_client: ClientFactory, market: Market
    ) -> None:
        """active=false lists delisted tickers only, each with active false and delisted_utc."""
        async with sim_client() as client:
            body = (await client.get("/v3/reference/tickers", params={"active": "false"})).json()
        expected = [
            (x.ticker, False, f"{market.calendar.days[x.last_index]}T00:00:00Z")
            for x in market.tickers()
            if x.delisted
        ]

        assert expected == [(r["ticker"], r["active"], r["delisted_utc"]) for r in body["results"]]

    async def test_market_type_and_ticker_range(
        self, sim_client: ClientFactory, market: Market
    ) -> None:
        """market, type and ticker.gte/lt filters combine."""
        params = {"market": "stocks", "type": "ETF", "ticker.gte": "B", "ticker.lt": "M"}
        async with sim_client() as client:
            body = (await client.get("/v3/reference/tickers", params=params)).json()
        expected = [
            x.ticker
            for x in market.tickers()
            if not x.delisted and x.market == "stocks" and x.type == "ETF" and "B" <= x.ticker < "M"
        ]

        assert expected == [r["ticker"] for r in body["results"]]

    async def test_exact_ticker_with_dot(self, sim_client: ClientFactory) -> None:
        """ticker=BRK.A finds exactly that class share."""
        async with sim_client() as client:
            body = (await client.get("/v3/reference/tickers", params={"ticker": "BRK.A"})).json()

        assert ["BRK.A"] == [r["ticker"] for r in body["results"]]

    async def test_sort_by_name_descending(self, sim_client: ClientFactory, market: Market) -> None:
        """sort=name&order=desc orders by name, last first."""
        async with sim_client() as client:
            bodies = await _all_pages(client, {"sort": "name", "order": "desc", "limit": 50})
        names = [r["name"] for b in bodies for r in b["results"]]

        assert sorted((x.name for x in market.tickers() if not x.delisted), reverse=True) == names

    async def test_bad_cursor_is_400(self, sim_client: ClientFactory) -> None:
        """A cursor the server never issued is answered 400 with an ERROR body."""
        async with sim_client() as client:
            response = await client.get("/v3/reference/tickers", params={"cursor": "!!"})

        assert (400, "ERROR") == (response.status_code, response.json()["status"])
