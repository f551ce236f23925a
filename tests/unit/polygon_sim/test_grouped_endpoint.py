"""GET /v2/aggs/grouped/locale/us/market/stocks/{date}: one day of the whole market."""

from __future__ import annotations

from datetime import date

import pytest

from services.polygon_sim.market.market import Market

from .conftest import ClientFactory

pytestmark = pytest.mark.unit

_GROUPED = "/v2/aggs/grouped/locale/us/market/stocks/"


class TestGroupedDay:
    async def test_rows_match_ground_truth(self, sim_client: ClientFactory, market: Market) -> None:
        """A trading day serves the Market's grouped rows, T per row, counts matching."""
        async with sim_client() as client:
            body = (await client.get(_GROUPED + "2024-07-05")).json()
        expected = market.grouped(date(2024, 7, 5))

        assert expected == body["results"]
        assert (len(expected),) * 3 == (body["queryCount"], body["resultsCount"], body["count"])
        assert "ticker" not in body and "next_url" not in body

    async def test_t_is_16h_new_york_across_dst(self, sim_client: ClientFactory) -> None:
        """t is the 16:00 close: 21:00Z on 2024-03-08 (EST), 20:00Z on 2024-03-11 (EDT)."""
        async with sim_client() as client:
            before = (await client.get(_GROUPED + "2024-03-08")).json()
            after = (await client.get(_GROUPED + "2024-03-11")).json()

        assert {1709931600000} == {r["t"] for r in before["results"]}
        assert {1710187200000} == {r["t"] for r in after["results"]}

    async def test_otc_rows_only_on_request(
        self, sim_client: ClientFactory, market: Market
    ) -> None:
        """OTC tickers appear, flagged otc: true, only with include_otc=true."""
        async with sim_client() as client:
            plain = (await client.get(_GROUPED + "2024-07-05")).json()["results"]
            with_otc = (
                await client.get(_GROUPED + "2024-07-05", params={"include_otc": "true"})
            ).json()["results"]
        otc = {x.ticker for x in market.tickers() if x.otc}

        assert set() == {r["T"] for r in plain} & otc
        assert {r["T"] for r in with_otc} & otc == {r["T"] for r in with_otc if r.get("otc")}
        assert 0 < len({r["T"] for r in with_otc} & otc)

    @pytest.mark.parametrize("day", ["2024-07-04", "2024-07-06", "2025-01-09"])
    async def test_closed_day_is_empty(self, sim_client: ClientFactory, day: str) -> None:
        """A holiday or weekend answers 200 with counts 0 and no results key."""
        async with sim_client() as client:
            response = await client.get(_GROUPED + day)
        body = response.json()
        del body["request_id"]

        assert (200, {"queryCount": 0, "resultsCount": 0, "adjusted": True, "status": "OK"}) == (
            response.status_code,
            body,
        )

    async def test_bad_date_is_400_with_real_text(self, sim_client: ClientFactory) -> None:
        """A malformed date is a 400 with the API's wording."""
        async with sim_client() as client:
            response = await client.get(_GROUPED + "2024-7-5")

        assert (
            400,
            "The path parameter `date` with value 2024-7-5 is invalid, "
            "must be of the format YYYY-MM-DD.",
        ) == (response.status_code, response.json()["error"])
