"""Request counters and the /_sim/truth endpoints."""

from __future__ import annotations

from datetime import date

import pytest

from services.polygon_sim.market.market import Market

from .conftest import ClientFactory

pytestmark = pytest.mark.unit


class TestStats:
    async def test_requests_are_counted_per_kind_and_reset(self, sim_client: ClientFactory) -> None:
        """Each API request counts once under its kind and status; reset zeroes everything."""
        async with sim_client() as client:
            await client.get("/v3/reference/tickers")
            await client.get("/v2/aggs/ticker/A/range/1/day/2024-01-02/2024-01-05")
            await client.get(
                "/v2/aggs/ticker/A/range/1/day/2024-01-02/2024-01-05",
                headers={"Authorization": "Bearer wrong"},
            )
            await client.get("/v2/aggs/grouped/locale/us/market/stocks/2024-01-02")
            await client.get("/v3/reference/splits")
            await client.get("/v3/reference/dividends")
            counted = (await client.get("/_sim/stats")).json()
            reset = (await client.post("/_sim/stats/reset")).json()

        none = {"tickers": 0, "range": 0, "grouped": 0, "splits": 0, "dividends": 0}
        assert {
            "requests": {"tickers": 1, "range": 2, "grouped": 1, "splits": 1, "dividends": 1},
            "answered": {"tickers": 1, "range": 2, "grouped": 1, "splits": 1, "dividends": 1},
            "statuses": {"200": 5, "401": 1},
            "total": 6,
        } == counted
        assert {"requests": none, "answered": none, "statuses": {}, "total": 0} == reset

    async def test_a_5xx_is_a_request_but_not_an_answer(self, sim_client: ClientFactory) -> None:
        """Faults make clients repeat a request: `answered` counts what was asked for."""
        async with sim_client(error_5xx_share=1.0) as client:
            await client.get("/v2/aggs/grouped/locale/us/market/stocks/2024-01-02")
            counted = (await client.get("/_sim/stats")).json()

        assert (1, 0) == (counted["requests"]["grouped"], counted["answered"]["grouped"])


class TestTruth:
    async def test_truth_bars_equal_served_bars(self, sim_client: ClientFactory) -> None:
        """/_sim/truth/bars gives the bars the range endpoint serves, per ticker."""
        async with sim_client() as client:
            truth = (
                await client.get(
                    "/_sim/truth/bars",
                    params={
                        "tickers": "BRK.A,KIMpL",
                        "from": "2024-02-01",
                        "to": "2024-02-29",
                        "adjusted": "false",
                    },
                )
            ).json()
            served = {
                t: (
                    await client.get(
                        f"/v2/aggs/ticker/{t}/range/1/day/2024-02-01/2024-02-29",
                        params={"adjusted": "false"},
                    )
                ).json()["results"]
                for t in ("BRK.A", "KIMpL")
            }

        assert {"adjusted": False, "bars": served} == truth

    async def test_truth_tickers_include_delisted_and_splits(
        self, sim_client: ClientFactory, market: Market
    ) -> None:
        """/_sim/truth/tickers lists every listing with its bar span and splits."""
        async with sim_client() as client:
            body = (await client.get("/_sim/truth/tickers")).json()
        split = next(x for x in market.tickers() if x.splits)
        row = next(r for r in body["results"] if r["ticker"] == split.ticker)

        assert len(market.tickers()) == body["count"]
        assert [market.calendar.days[s.index].isoformat() for s in split.splits] == [
            s["date"] for s in row["splits"]
        ]

    async def test_truth_sessions(self, sim_client: ClientFactory) -> None:
        """/_sim/truth/sessions lists the trading days of a span."""
        async with sim_client() as client:
            body = (
                await client.get(
                    "/_sim/truth/sessions", params={"from": "2024-01-01", "to": "2024-12-31"}
                )
            ).json()

        assert (252, "2024-01-02") == (len(body["sessions"]), body["sessions"][0])
        assert str(date(2024, 7, 4)) not in body["sessions"]
