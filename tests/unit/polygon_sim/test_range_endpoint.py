"""GET /v2/aggs/ticker/{ticker}/range/1/day/{from}/{to}: bars, timestamps, empties and paging."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from services.polygon_sim.market.market import Market

from .conftest import END, START, ClientFactory

pytestmark = pytest.mark.unit


def _path(ticker: str, from_: str, to: str) -> str:
    return f"/v2/aggs/ticker/{ticker}/range/1/day/{from_}/{to}"


async def _follow(
    client: httpx.AsyncClient, url: str, params: dict[str, Any]
) -> list[dict[str, Any]]:
    bodies = [(await client.get(url, params=params)).json()]
    while "next_url" in bodies[-1]:
        bodies.append((await client.get(bodies[-1]["next_url"])).json())
    return bodies


class TestRangeBars:
    async def test_bars_match_ground_truth(self, sim_client: ClientFactory, market: Market) -> None:
        """BRK.A over 2024 comes back as the Market's bars, 252 of them, echoing adjusted."""
        async with sim_client() as client:
            body = (await client.get(_path("BRK.A", "2024-01-01", "2024-12-31"))).json()

        assert market.bars("BRK.A", date(2024, 1, 1), date(2024, 12, 31)) == body["results"]
        assert (252, 252, 252, True, "OK") == (
            body["queryCount"],
            body["resultsCount"],
            body["count"],
            body["adjusted"],
            body["status"],
        )

    async def test_encoded_path_segment_is_decoded(self, sim_client: ClientFactory) -> None:
        """BRK%2EA in the path is the same ticker as BRK.A."""
        async with sim_client() as client:
            plain = (await client.get(_path("BRK.A", "2024-05-01", "2024-05-31"))).json()
            encoded = (await client.get(_path("BRK%2EA", "2024-05-01", "2024-05-31"))).json()

        assert (plain["ticker"], plain["results"]) == (encoded["ticker"], encoded["results"])

    async def test_t_is_new_york_midnight_across_dst(self, sim_client: ClientFactory) -> None:
        """Friday 2024-03-08 starts at 05:00Z (EST), Monday 2024-03-11 at 04:00Z (EDT)."""
        async with sim_client() as client:
            body = (await client.get(_path("BRK.B", "2024-03-08", "2024-03-11"))).json()

        assert [1709874000000, 1710129600000] == [r["t"] for r in body["results"]]

    async def test_ms_bounds_equal_date_bounds(self, sim_client: ClientFactory) -> None:
        """from/to as Unix ms select the same inclusive window as the dates they stand for."""
        async with sim_client() as client:
            by_date = (await client.get(_path("KIMpL", "2024-03-08", "2024-03-11"))).json()
            by_ms = (await client.get(_path("KIMpL", "1709874000000", "1710129600000"))).json()

        assert by_date["results"] == by_ms["results"]

    async def test_unadjusted_differs_for_split_ticker(
        self, sim_client: ClientFactory, market: Market
    ) -> None:
        """adjusted=false is echoed and serves the traded prices of a ticker that split."""
        ticker = next(x.ticker for x in market.tickers() if x.splits and not x.delisted)
        async with sim_client() as client:
            body = (
                await client.get(_path(ticker, str(START), str(END)), params={"adjusted": "false"})
            ).json()

        assert False is body["adjusted"]
        assert market.bars(ticker, START, END, adjusted=False) == body["results"]
        assert market.bars(ticker, START, END, adjusted=True) != body["results"]


class TestEmptyRange:
    @pytest.mark.parametrize(
        ("ticker", "from_", "to"),
        [
            ("BRK.A", "2024-07-06", "2024-07-07"),  # a weekend
            ("NOSUCH", "2024-01-01", "2024-12-31"),  # unknown ticker: empty, not 404
            ("brk.a", "2024-01-01", "2024-12-31"),  # tickers are case-sensitive
            ("BRK.A", "2010-01-01", "2010-12-31"),
        ],  # before the simulated history
    )
    async def test_empty_shape(
        self, sim_client: ClientFactory, ticker: str, from_: str, to: str
    ) -> None:
        """No bars: HTTP 200, counts 0 and no results (nor count) key."""
        async with sim_client() as client:
            response = await client.get(_path(ticker, from_, to))
        body = response.json()
        del body["request_id"]

        assert 200 == response.status_code
        assert {
            "ticker": ticker,
            "queryCount": 0,
            "resultsCount": 0,
            "adjusted": True,
            "status": "OK",
        } == body

    async def test_bad_date_is_400(self, sim_client: ClientFactory) -> None:
        """A from that is neither a date nor ms is a 400 ERROR."""
        async with sim_client() as client:
            response = await client.get(_path("BRK.A", "yesterday", "2024-01-05"))

        assert (400, "ERROR") == (response.status_code, response.json()["status"])


class TestRangePagination:
    @pytest.mark.parametrize("sort", ["asc", "desc"])
    async def test_small_limit_pages_rebuild_the_series(
        self, sim_client: ClientFactory, market: Market, sort: str
    ) -> None:
        """Following next_url with limit 7 yields the full unadjusted series, in order."""
        params = {"limit": 7, "sort": sort, "adjusted": "false"}
        async with sim_client() as client:
            bodies = await _follow(client, _path("BRK.B", "2024-01-01", "2024-03-31"), params)
        bars = [r for b in bodies for r in b["results"]]
        expected = market.bars("BRK.B", date(2024, 1, 1), date(2024, 3, 31), adjusted=False)

        assert (expected if sort == "asc" else expected[::-1]) == bars
        assert [7] * (len(bodies) - 1) == [b["resultsCount"] for b in bodies[:-1]]
        assert {False} == {b["adjusted"] for b in bodies}

    async def test_next_url_rewrites_from_to_next_window(self, sim_client: ClientFactory) -> None:
        """next_url's from is the ms of the NY midnight after the last bar; to is unchanged."""
        async with sim_client() as client:
            body = (
                await client.get(_path("BRK.A", "2024-01-02", "2024-01-31"), params={"limit": 2})
            ).json()
        path = body["next_url"].split("?")[0]

        # The second bar is 2024-01-03; the next window starts 2024-01-04 00:00 EST.
        assert "http://sim.test/v2/aggs/ticker/BRK.A/range/1/day/1704344400000/2024-01-31" == path
