"""Transient failures are retried with backoff and Retry-After; permanent ones are not."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from shared.clients.polygon import (
    RETRY_MALFORMED_RESPONSES,
    PolygonAuthError,
    PolygonBadRequest,
    PolygonError,
    PolygonGaveUp,
    PolygonMalformedResponse,
    PolygonNotEntitled,
    PolygonNotFound,
    PolygonUnexpectedStatus,
)
from shared.clients.polygon._retry import Backoff, parse_retry_after

from .fakes import Harness, ok

pytestmark = pytest.mark.unit

EMPTY = {"status": "OK", "resultsCount": 0}
LIMITED = {"status": "ERROR", "request_id": "r", "error": "You've exceeded the maximum requests"}


def fails(status: int, **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"status": "ERROR", "error": "boom"}, headers=headers)


async def fetch(h: Harness) -> object:
    return await h.client.daily_bars("AAPL", date(2024, 1, 2), date(2024, 1, 3))


class TestRetries:
    @pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
    async def test_transient_status_is_retried_until_ok(self, status: int) -> None:
        """Two transient answers then OK: the call succeeds after backoffs of 1 s and 2 s."""
        h = Harness([fails(status), fails(status), ok(EMPTY)])

        result = await fetch(h)

        expected: tuple[list[object], list[float], int, int] = ([], [1.0, 2.0], 3, 3)
        assert expected == (
            result, h.clock.sleeps, h.client.requests_made, h.limiter.acquired,
        )  # fmt: skip

    @pytest.mark.parametrize(
        "error",
        [
            httpx.ReadTimeout("read timed out"),
            httpx.ConnectTimeout("connect timed out"),
            httpx.ConnectError("connection refused"),
            httpx.RemoteProtocolError("server disconnected without sending a response"),
            httpx.ReadError("connection reset by peer"),
        ],
        ids=lambda e: type(e).__name__,
    )
    async def test_timeouts_and_dropped_connections_are_retried(self, error: Exception) -> None:
        """httpx transport errors (timeouts, refused, reset) are retried like a 503."""
        h = Harness([error, ok(EMPTY)])

        result = await fetch(h)

        expected: tuple[list[object], list[float], int] = ([], [1.0], 2)
        assert expected == (result, h.clock.sleeps, h.client.requests_made)

    async def test_retry_after_seconds_is_honoured(self) -> None:
        """A 429 with Retry-After: 7 waits 7 s, not the (smaller) jittered backoff."""
        h = Harness([httpx.Response(429, json=LIMITED, headers={"Retry-After": "7"}), ok(EMPTY)])

        await fetch(h)

        expected = [7.0]
        assert expected == h.clock.sleeps

    async def test_retry_after_http_date_is_honoured(self) -> None:
        """Retry-After as an HTTP date one hour ahead waits about an hour."""
        when = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
        h = Harness(
            [httpx.Response(503, headers={"Retry-After": when}), ok(EMPTY)], max_retry_s=7200
        )

        await fetch(h)

        expected = [60]
        assert expected == [round(s / 60) for s in h.clock.sleeps]

    async def test_retry_is_logged_with_attempt_status_and_delay(self) -> None:
        """Each retry logs one warning with attempt, status and delay."""
        from structlog.testing import capture_logs

        h = Harness([fails(503), ok(EMPTY)])

        with capture_logs() as logs:
            await fetch(h)

        retried = [e for e in logs if e["event"] == "polygon_request_retried"]
        expected = [("warning", 0, 503, 1.0)]
        assert expected == [
            (e["log_level"], e["attempt"], e["status"], e["delay_s"]) for e in retried
        ]


class TestIncompleteAnswers:
    @pytest.mark.parametrize(
        "glitch",
        [
            {"status": "OK", "resultsCount": 2, "results": None},
            {"status": "OK", "resultsCount": 2},
            {"status": "OK", "count": 2, "results": None},
        ],
        ids=["null-counted", "missing-counted", "null-count"],
    )
    async def test_rows_counted_but_absent_are_retried(self, glitch: dict[str, object]) -> None:
        """results null/missing while the body counts rows is a glitch: retried, then the data."""
        rows = [{"o": 1, "h": 1, "l": 1, "c": 1, "v": 1, "t": 1704171600000}] * 2
        h = Harness([ok(glitch), ok({"status": "OK", "resultsCount": 2, "results": rows})])

        bars = await fetch(h)

        expected = (2, 2, [1.0])
        assert expected == (len(bars), h.client.requests_made, h.clock.sleeps)  # type: ignore[arg-type]

    async def test_persistent_incomplete_answers_give_up(self) -> None:
        """If rows never come, the client gives up (not an empty success)."""
        h = Harness([ok({"status": "OK", "resultsCount": 3, "results": None})], max_retry_s=5.0)

        with pytest.raises(PolygonGaveUp) as caught:
            await fetch(h)

        assert True is ("incomplete_response" in str(caught.value))


class TestGiveUp:
    async def test_gives_up_within_max_retry_s(self) -> None:
        """Always 503: sleeps 1, 2, 4 (cap 4), then the next 4 s would pass 10 s, so it gives up."""
        h = Harness([fails(503)], max_retry_s=10.0, backoff_cap_s=4.0)

        with pytest.raises(PolygonGaveUp) as caught:
            await fetch(h)

        expected = ([1.0, 2.0, 4.0], 4, 4, "gave_up", 503)
        assert expected == (
            h.clock.sleeps, h.client.requests_made, caught.value.attempts,
            caught.value.kind, caught.value.status,
        )  # fmt: skip

    async def test_retry_after_beyond_the_budget_gives_up_at_once(self) -> None:
        """A Retry-After longer than max_retry_s is not slept through."""
        h = Harness([fails(429, **{"Retry-After": "3600"})], max_retry_s=60.0)

        with pytest.raises(PolygonGaveUp):
            await fetch(h)

        expected: tuple[list[float], int] = ([], 1)
        assert expected == (h.clock.sleeps, h.client.requests_made)

    async def test_gave_up_after_timeouts_names_the_cause(self) -> None:
        """Giving up after timeouts says which transport error it was."""
        h = Harness([httpx.ReadTimeout("slow")], max_retry_s=5.0, backoff_cap_s=4.0)

        with pytest.raises(PolygonGaveUp) as caught:
            await fetch(h)

        expected = (True, None)
        assert expected == ("ReadTimeout" in str(caught.value), caught.value.status)


class TestPermanentErrors:
    @pytest.mark.parametrize(
        ("status", "body", "error_type", "kind"),
        [
            (400, {"status": "ERROR", "error": "bad date"}, PolygonBadRequest, "bad_request"),
            (401, {"status": "ERROR", "error": "Unknown API Key"}, PolygonAuthError, "auth"),
            (403, {"status": "NOT_AUTHORIZED", "message": "not entitled"}, PolygonNotEntitled,
             "not_entitled"),
            (404, {"status": "NOT_FOUND", "message": "Data not found."}, PolygonNotFound,
             "not_found"),
            (422, {"status": "ERROR", "error": "huh"}, PolygonBadRequest, "bad_request"),
        ],
    )  # fmt: skip
    async def test_client_errors_are_typed_and_not_retried(
        self, status: int, body: dict[str, str], error_type: type[PolygonError], kind: str
    ) -> None:
        """4xx other than 408/429 raise their typed error after exactly one request."""
        h = Harness([httpx.Response(status, json=body), ok(EMPTY)])

        with pytest.raises(error_type) as caught:
            await fetch(h)

        text = body.get("error") or body.get("message")
        assert (kind, status, 1, [], True) == (
            caught.value.kind, caught.value.status, h.client.requests_made, h.clock.sleeps,
            str(text) in str(caught.value),
        )  # fmt: skip

    @pytest.mark.parametrize(
        "response",
        [
            httpx.Response(200, content=b"{not json"),
            httpx.Response(200, content=b"\xff\xfe\x00garbage"),
            httpx.Response(200, json=[1, 2]),
            httpx.Response(200, json={"status": "OK", "results": {"o": 1}}),
            httpx.Response(200, json={"status": "OK", "results": [{"o": "x", "t": 1}]}),
            httpx.Response(200, json={"status": "OK", "results": [], "next_url": 5}),
            # NaN is not JSON (Python's decoder would take it, and the bar would have no price)
            httpx.Response(
                200,
                content=b'{"status": "OK", "results": [{"T": "A", "o": NaN, "h": 1, "l": 1,'
                b' "c": 1, "v": 1, "t": 1602705600000}]}',
            ),
        ],
        ids=[
            "invalid-json",
            "binary",
            "array",
            "results-object",
            "bad-row",
            "bad-next-url",
            "nan-price",
        ],
    )
    async def test_malformed_bodies_are_permanent(self, response: httpx.Response) -> None:
        """Malformed 2xx bodies raise PolygonMalformedResponse without a retry (the decision)."""
        h = Harness([response, ok(EMPTY)])

        with pytest.raises(PolygonMalformedResponse) as caught:
            await fetch(h)

        expected = (False, "malformed_response", 1)
        assert expected == (
            RETRY_MALFORMED_RESPONSES, caught.value.kind, h.client.requests_made,
        )  # fmt: skip

    @pytest.mark.parametrize("status", ["ERROR", "NOT_AUTHORIZED", None])
    async def test_body_status_other_than_ok_or_delayed_raises(self, status: str | None) -> None:
        """A 200 whose body status is not OK/DELAYED is an error, not data."""
        h = Harness([ok({"status": status, "results": []}), ok(EMPTY)])

        with pytest.raises(PolygonUnexpectedStatus) as caught:
            await fetch(h)

        expected = ("unexpected_status", 1)
        assert expected == (caught.value.kind, h.client.requests_made)


class TestBackoff:
    def test_full_jitter_stays_within_the_capped_exponential(self) -> None:
        """Delays lie in [0, min(cap, base*2^attempt)]."""
        backoff = Backoff(base_s=0.5, cap_s=10.0, rng=random.Random(42))

        ceilings = [min(10.0, 0.5 * 2**n) for n in range(8)]
        delays = [backoff.delay(n) for n in range(8)]

        expected = [True] * 8
        assert expected == [0.0 <= d <= c for d, c in zip(delays, ceilings, strict=True)]

    def test_jitter_is_spread_not_constant(self) -> None:
        """Full jitter spreads the waits of many clients (not all at the ceiling)."""
        backoff = Backoff(base_s=1.0, cap_s=60.0, rng=random.Random(7))

        distinct = {round(backoff.delay(5), 3) for _ in range(50)}

        assert True is (len(distinct) > 40)

    @pytest.mark.parametrize(
        ("header", "expected"),
        [
            ("120", 120.0),
            (" 1.5 ", 1.5),
            ("-3", 0.0),
            ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
            ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),
            ("soon", None),
            ("", None),
            (None, None),
        ],
    )
    def test_retry_after_parsing(self, header: str | None, expected: float | None) -> None:
        """Seconds or an HTTP date (relative to now); anything else is ignored."""
        now = datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC)

        assert expected == parse_retry_after(header, now=now)
