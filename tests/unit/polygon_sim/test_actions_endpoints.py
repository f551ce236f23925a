"""GET /v3/reference/splits and /v3/reference/dividends: cursor pages, filters, sorting, errors."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from services.polygon_sim.market.market import Market

from .conftest import BASE_URL, ClientFactory

pytestmark = pytest.mark.unit

_SPLITS, _DIVIDENDS = "/v3/reference/splits", "/v3/reference/dividends"
_DAY = {_SPLITS: "execution_date", _DIVIDENDS: "ex_dividend_date"}


async def _all_pages(
    client: httpx.AsyncClient, path: str, params: dict[str, Any]
) -> list[dict[str, Any]]:
    """Follow next_url to the end, as a client would, and return every page body."""
    bodies = [(await client.get(path, params=params)).json()]
    while "next_url" in bodies[-1]:
        bodies.append((await client.get(bodies[-1]["next_url"])).json())
    return bodies


def _rows(bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for b in bodies for r in b["results"]]


def _truth(market: Market, path: str) -> list[dict[str, Any]]:
    return market.splits() if path == _SPLITS else market.dividends()


class TestPaging:
    @pytest.mark.parametrize("path", [_SPLITS, _DIVIDENDS])
    async def test_pages_cover_every_known_event_once(
        self, sim_client: ClientFactory, market: Market, path: str
    ) -> None:
        """Following next_url with limit 37 yields each known event exactly once, newest first."""
        async with sim_client() as client:
            rows = _rows(await _all_pages(client, path, {"limit": 37}))
        day = _DAY[path]

        assert sorted(_truth(market, path), key=lambda r: r["id"]) == sorted(
            rows, key=lambda r: r["id"]
        )
        assert sorted((r[day] for r in rows), reverse=True) == [r[day] for r in rows]

    async def test_page_shape(self, sim_client: ClientFactory) -> None:
        """Default limit 10; next_url is ours and holds only a padding-free cursor; no count."""
        async with sim_client() as client:
            bodies = await _all_pages(client, _DIVIDENDS, {"ex_dividend_date.lt": "2023-06-01"})
        next_url = urlsplit(bodies[0]["next_url"])

        assert 10 == len(bodies[0]["results"])
        assert (BASE_URL, _DIVIDENDS) == (f"{next_url.scheme}://{next_url.netloc}", next_url.path)
        assert next_url.query.startswith("cursor=") and "&" not in next_url.query
        assert "=" not in next_url.query.removeprefix("cursor=")
        assert ("OK", False, False) == (
            bodies[-1]["status"],
            "next_url" in bodies[-1],
            "count" in bodies[0],
        )

    async def test_limit_is_capped_at_1000(self, sim_client: ClientFactory) -> None:
        """limit above 1000 serves 1000 rows."""
        async with sim_client() as client:
            body = (await client.get(_DIVIDENDS, params={"limit": 5000})).json()

        assert 1000 == len(body["results"])


class TestFiltersAndSort:
    async def test_date_range_ascending(self, sim_client: ClientFactory, market: Market) -> None:
        """ex_dividend_date.gte/.lt bound the rows; order=asc puts the oldest first."""
        params = {"ex_dividend_date.gte": "2024-01-01", "ex_dividend_date.lt": "2024-04-01"}
        async with sim_client() as client:
            rows = _rows(await _all_pages(client, _DIVIDENDS, {**params, "order": "asc"}))
        expected = [
            d for d in market.dividends() if "2024-01-01" <= d["ex_dividend_date"] < "2024-04-01"
        ]

        assert [d["id"] for d in expected] == [d["id"] for d in rows]

    async def test_exact_ticker_and_date(self, sim_client: ClientFactory, market: Market) -> None:
        """ticker= and execution_date= select exactly that split."""
        split = market.splits()[0]
        params = {"ticker": split["ticker"], "execution_date": split["execution_date"]}
        async with sim_client() as client:
            body = (await client.get(_SPLITS, params=params)).json()

        assert [split] == body["results"]

    async def test_ticker_range_sorted_by_ticker(
        self, sim_client: ClientFactory, market: Market
    ) -> None:
        """ticker.gte/.lt with sort=ticker&order=asc lists those tickers' events by ticker."""
        params = {"ticker.gte": "C", "ticker.lt": "M", "sort": "ticker", "order": "asc"}
        async with sim_client() as client:
            rows = _rows(await _all_pages(client, _DIVIDENDS, {**params, "limit": 100}))
        expected = sorted(
            (d for d in market.dividends() if "C" <= d["ticker"] < "M"),
            key=lambda d: (d["ticker"], d["ex_dividend_date"]),
        )

        assert [d["id"] for d in expected] == [d["id"] for d in rows]

    async def test_reverse_split_filter(self, sim_client: ClientFactory, market: Market) -> None:
        """reverse_split=true lists only splits with split_from > split_to."""
        async with sim_client() as client:
            rows = _rows(await _all_pages(client, _SPLITS, {"reverse_split": "true"}))

        assert sorted(
            s["id"] for s in market.splits() if s["split_from"] > s["split_to"]
        ) == sorted(r["id"] for r in rows)

    async def test_frequency_and_cash_amount(
        self, sim_client: ClientFactory, market: Market
    ) -> None:
        """frequency and cash_amount.gte filter dividends."""
        params = {"frequency": "12", "cash_amount.gte": "0.05", "limit": 1000}
        async with sim_client() as client:
            rows = _rows(await _all_pages(client, _DIVIDENDS, params))
        expected = [
            d for d in market.dividends() if d["frequency"] == 12 and d["cash_amount"] >= 0.05
        ]

        assert sorted(d["id"] for d in expected) == sorted(r["id"] for r in rows)
        assert 0 < len(rows)

    async def test_unknown_ticker_is_empty(self, sim_client: ClientFactory) -> None:
        """An unknown ticker answers 200 with an empty list."""
        async with sim_client() as client:
            body = (await client.get(_SPLITS, params={"ticker": "NOSUCH"})).json()

        assert ("OK", []) == (body["status"], body["results"])


class TestErrors:
    @pytest.mark.parametrize(
        ("path", "params"),
        [
            (_SPLITS, {"execution_date.gte": "2024-13-01"}),
            (_SPLITS, {"sort": "split_to"}),
            (_SPLITS, {"order": "up"}),
            (_SPLITS, {"limit": "0"}),
            (_SPLITS, {"reverse_split": "maybe"}),
            (_DIVIDENDS, {"ex_dividend_date": "July"}),
            (_DIVIDENDS, {"frequency": "3"}),
            (_DIVIDENDS, {"cash_amount.gt": "lots"}),
            (_DIVIDENDS, {"sort": "pay_date"}),
            (_DIVIDENDS, {"cursor": "!!"}),
        ],
    )
    async def test_bad_parameters_are_400(
        self, sim_client: ClientFactory, path: str, params: dict[str, str]
    ) -> None:
        """Malformed dates, sorts, orders, limits, flags and cursors answer 400 ERROR."""
        async with sim_client() as client:
            response = await client.get(path, params=params)

        assert (400, "ERROR") == (response.status_code, response.json()["status"])

    async def test_a_key_is_required(self, sim_client: ClientFactory) -> None:
        """Without a key the endpoints answer 401 like the others."""
        async with sim_client(key=None) as client:
            response = await client.get(_DIVIDENDS)

        assert 401 == response.status_code


class TestTruthEndpoints:
    async def test_truth_equals_served_rows(
        self, sim_client: ClientFactory, market: Market
    ) -> None:
        """/_sim/truth/splits and /dividends give the rows the API serves, by date."""
        ticker = market.dividends()[0]["ticker"]
        window = {"from": "2024-01-01", "to": "2024-12-31"}
        async with sim_client() as client:
            truth = (
                await client.get("/_sim/truth/dividends", params={"tickers": ticker, **window})
            ).json()
            served = _rows(
                await _all_pages(
                    client,
                    _DIVIDENDS,
                    {
                        "ticker": ticker,
                        "ex_dividend_date.gte": window["from"],
                        "ex_dividend_date.lte": window["to"],
                        "order": "asc",
                    },
                )
            )
            splits = (await client.get("/_sim/truth/splits")).json()

        assert {"dividends": served} == truth
        assert {"splits": market.splits()} == splits
