"""API keys, entitlements and the per-key request-rate limit."""

from __future__ import annotations

import httpx
import pytest

from services.polygon_sim.api.auth import RateLimiter, presented_key

from .conftest import ClientFactory

pytestmark = pytest.mark.unit

_URL = "/v2/aggs/ticker/BRK.A/range/1/day/2024-01-02/2024-01-05"


def _without_id(response: httpx.Response) -> tuple[int, dict[str, object]]:
    body = response.json()
    assert 32 == len(body.pop("request_id"))
    return response.status_code, body


class TestApiKeys:
    async def test_missing_key_is_401_not_provided(self, sim_client: ClientFactory) -> None:
        """No key at all: 401 ERROR 'API Key was not provided'."""
        async with sim_client(key=None) as client:
            response = await client.get(_URL)

        assert (401, {"status": "ERROR", "error": "API Key was not provided"}) == _without_id(
            response
        )

    @pytest.mark.parametrize("where", ["header", "query"])
    async def test_wrong_key_is_401_unknown(self, sim_client: ClientFactory, where: str) -> None:
        """A key the simulator does not know, in header or query: 401 'Unknown API Key'."""
        async with sim_client(key="nope" if where == "header" else None) as client:
            response = await client.get(_URL, params={"apiKey": "nope"} if where == "query" else {})

        assert (401, {"status": "ERROR", "error": "Unknown API Key"}) == _without_id(response)

    async def test_query_key_is_accepted(self, sim_client: ClientFactory) -> None:
        """apiKey in the query works as well as the Bearer header."""
        async with sim_client(key=None) as client:
            response = await client.get(_URL, params={"apiKey": "demo-key"})

        assert 200 == response.status_code

    def test_bearer_header_wins_over_query(self) -> None:
        """With both present, the Authorization header is the key used."""
        assert "from-header" == presented_key("Bearer from-header", "from-query")

    async def test_unentitled_ticker_is_403(self, sim_client: ClientFactory) -> None:
        """A ticker configured as unentitled answers 403 NOT_AUTHORIZED with a message."""
        async with sim_client(unentitled_tickers=["BRK.A"]) as client:
            status, body = _without_id(await client.get(_URL))

        assert (403, "NOT_AUTHORIZED", True) == (status, body["status"], "message" in body)


class TestRateLimit:
    async def test_over_budget_is_429_with_real_body(self, sim_client: ClientFactory) -> None:
        """With 3 requests per minute, the 4th is a 429 ERROR with the API's wording."""
        async with sim_client(rate_limit_requests=3) as client:
            statuses = [(await client.get(_URL)).status_code for _ in range(3)]
            limited = await client.get(_URL)

        assert [200, 200, 200] == statuses
        assert (
            429,
            {
                "status": "ERROR",
                "error": "You've exceeded the maximum requests per minute, please wait or "
                "upgrade your subscription to continue. https://massive.com/pricing",
            },
        ) == _without_id(limited)

    def test_budget_is_per_key_and_recovers(self) -> None:
        """Keys have separate budgets, and a window later the budget is back."""
        now = [0.0]
        limiter = RateLimiter(2, 60.0, clock=lambda: now[0])
        first = [limiter.admit("a") for _ in range(3)] + [limiter.admit("b")]
        now[0] = 60.0
        later = limiter.admit("a")

        assert ([True, True, False, True], True) == (first, later)
