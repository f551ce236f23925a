"""The client's /metrics counters: every answer by status, every retry by its cause."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from prometheus_client import REGISTRY

from .fakes import Harness, ok

pytestmark = pytest.mark.unit
EMPTY = {"status": "OK", "resultsCount": 0}
COUNTED = [
    ("stocks_elt_api_requests_total", "503"),
    ("stocks_elt_api_requests_total", "ConnectError"),
    ("stocks_elt_api_requests_total", "200"),
    ("stocks_elt_api_retries_total", "503"),
    ("stocks_elt_api_retries_total", "ConnectError"),
]


def counts() -> list[float]:
    return [REGISTRY.get_sample_value(n, {"status": s}) or 0.0 for n, s in COUNTED]


class TestApiCounters:
    async def test_answers_and_retries_are_counted_by_status(self) -> None:
        """A 503, a refused connection, then OK: three answers counted, two retries."""
        before = counts()
        h = Harness(
            [httpx.Response(503, json={"status": "ERROR"}), httpx.ConnectError("no"), ok(EMPTY)]
        )

        await h.client.daily_bars("AAPL", date(2024, 1, 2), date(2024, 1, 3))

        assert [1.0, 1.0, 1.0, 1.0, 1.0] == [a - b for a, b in zip(counts(), before, strict=True)]
