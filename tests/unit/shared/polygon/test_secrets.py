"""The API key never appears in a log line, an error message or a repr."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from structlog.testing import capture_logs

from shared.clients.polygon import PolygonError

from .fakes import API_KEY, Harness, make_settings, ok

pytestmark = pytest.mark.unit


def echo_key(request: httpx.Request) -> httpx.Response:
    """A hostile server that echoes the Authorization header into its error body."""
    return httpx.Response(401, json={"status": "ERROR", "error": request.headers["authorization"]})


class TestKeyNeverLeaks:
    async def test_not_in_logs_through_retries_pages_and_errors(self) -> None:
        """Logs of retries, a next_url carrying apiKey=KEY and a final error hold no key."""
        page = {
            "status": "OK",
            "results": [],
            "next_url": f"https://x/v3/reference/tickers?cursor=c&apiKey={API_KEY}",
        }
        h = Harness([httpx.ReadTimeout("t"), httpx.Response(503), ok(page), echo_key])

        with capture_logs() as logs, pytest.raises(PolygonError) as caught:
            _ = [t async for t in h.client.list_tickers()]

        events = {e["event"] for e in logs}
        expected = (False, False, False, True)
        assert expected == (
            API_KEY in repr(logs), API_KEY in str(caught.value), API_KEY in repr(caught.value),
            {"polygon_request_retried", "polygon_request_completed"} <= events,
        )  # fmt: skip

    async def test_not_in_a_body_status_error(self) -> None:
        """A 200 whose `status` echoes the key gives an error without it."""
        h = Harness([ok({"status": f"ERROR {API_KEY}"})])

        with pytest.raises(PolygonError) as caught:
            await h.client.grouped_daily(date(2024, 1, 2))

        assert False is (API_KEY in str(caught.value))

    async def test_not_in_gave_up(self) -> None:
        """PolygonGaveUp's message and repr hold no key."""
        h = Harness([httpx.Response(503)], max_retry_s=1.0)

        with pytest.raises(PolygonError) as caught:
            await h.client.grouped_daily(date(2024, 1, 2))

        expected = (False, "gave_up")
        assert expected == (API_KEY in repr(caught.value), caught.value.kind)

    def test_not_in_client_or_settings_repr(self) -> None:
        """repr/str of the client and of its settings are free of the key."""
        h = Harness([ok({"status": "OK"})])

        texts = [repr(h.client), str(h.client), repr(make_settings()), str(make_settings())]

        expected = [False] * 4
        assert expected == [API_KEY in t for t in texts]
