"""Requests counted by outcome (HTTP status, or "error" when no answer came): every page and
every retry, adding up to `requests_made`; and a batch's share of them."""

from __future__ import annotations

import asyncio
from datetime import date

import httpx
import pytest

from shared.clients.polygon import (
    TRANSPORT_ERROR,
    PolygonGaveUp,
    PolygonNotFound,
    outcomes_since,
)

from .fakes import Harness, ok

pytestmark = pytest.mark.unit

EMPTY = {"status": "OK", "resultsCount": 0}
NEXT = "https://api.massive.com/v2/aggs/ticker/AAPL/range/1/day/1704258000000/2024-01-03?cursor=c"
BAR = {"o": 1, "h": 1, "l": 1, "c": 1, "v": 1, "t": 1704171600000}


def fails(status: int) -> httpx.Response:
    return httpx.Response(status, json={"status": "ERROR", "error": "boom"})


async def fetch(h: Harness) -> object:
    return await h.client.daily_bars("AAPL", date(2024, 1, 2), date(2024, 1, 3))


class TestCountedByOutcome:
    async def test_retries_and_pages_each_count(self) -> None:
        """Page 1 after a 429, a timeout and a 503, then page 2: one outcome per request sent,
        adding up to requests_made."""
        page1 = {"status": "OK", "results": [BAR], "next_url": NEXT}
        h = Harness(
            [fails(429), httpx.ReadTimeout("slow"), fails(503), ok(page1), ok(EMPTY)],
            max_retry_s=600,
        )

        await fetch(h)

        expected = {"429": 1, TRANSPORT_ERROR: 1, "503": 1, "200": 2}
        assert expected == h.client.requests_by_status
        assert h.client.requests_made == sum(h.client.requests_by_status.values())
        assert 5 == h.client.requests_made

    async def test_a_permanent_error_counts_its_status(self) -> None:
        """A 404 is one request, counted as "404"."""
        h = Harness([fails(404)])

        with pytest.raises(PolygonNotFound):
            await fetch(h)

        assert ({"404": 1}, 1) == (h.client.requests_by_status, h.client.requests_made)

    async def test_giving_up_counts_every_attempt(self) -> None:
        """Always 503 within a 10 s budget: four attempts, four 503s."""
        h = Harness([fails(503)], max_retry_s=10.0, backoff_cap_s=4.0)

        with pytest.raises(PolygonGaveUp):
            await fetch(h)

        assert ({"503": 4}, 4) == (h.client.requests_by_status, h.client.requests_made)

    async def test_a_request_cancelled_in_flight_is_an_error(self) -> None:
        """Cancelled while waiting for the answer: sent, so counted, as "error"."""

        async def hang(request: httpx.Request) -> httpx.Response:
            await asyncio.sleep(60)
            raise AssertionError("not reached")

        h = Harness([ok(EMPTY)])
        h.client._http._transport = httpx.MockTransport(hang)
        task = asyncio.create_task(fetch(h))
        await asyncio.sleep(0.01)
        task.cancel()

        with pytest.raises(asyncio.CancelledError):
            await task

        assert ({TRANSPORT_ERROR: 1}, 1) == (h.client.requests_by_status, h.client.requests_made)

    async def test_a_snapshot_does_not_move(self) -> None:
        """requests_by_status is a copy: taken before a request, it stays as it was."""
        h = Harness([ok(EMPTY)])
        before = h.client.requests_by_status

        await fetch(h)

        assert ({}, {"200": 1}) == (before, h.client.requests_by_status)


class TestOutcomesSince:
    def test_the_difference_of_two_snapshots(self) -> None:
        """New outcomes and grown ones; unchanged ones left out."""
        before = {"200": 5, "429": 1}
        after = {"200": 8, "429": 1, "503": 2}

        assert {"200": 3, "503": 2} == outcomes_since(before, after)

    def test_nothing_new(self) -> None:
        """The same snapshot twice: no requests."""
        assert {} == outcomes_since({"200": 2}, {"200": 2})
