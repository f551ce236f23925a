"""What goes on the wire: auth, encoding, query booleans, ticker paths, and next_url pagination."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from shared.clients.polygon import PolygonPaginationLoop

from .fakes import API_KEY, Harness, fixture_body, ok

pytestmark = pytest.mark.unit

EMPTY = {"status": "OK", "resultsCount": 0}


def bar(t: int) -> dict[str, float]:
    return {"o": 1, "h": 1, "l": 1, "c": 1, "v": 1, "t": t}


class TestRequestShape:
    async def test_bearer_auth_and_gzip(self) -> None:
        """Every request carries `Authorization: Bearer KEY` and `Accept-Encoding: gzip`."""
        h = Harness([ok(EMPTY)])

        await h.client.daily_bars("AAPL", date(2024, 1, 2), date(2024, 1, 3))

        sent = h.script.requests[0].headers
        assert (f"Bearer {API_KEY}", "gzip") == (sent["authorization"], sent["accept-encoding"])

    async def test_key_is_not_in_the_query(self) -> None:
        """The key travels only in the header, never as ?apiKey=."""
        h = Harness([ok(EMPTY)])

        await h.client.grouped_daily(date(2024, 1, 2))

        assert False is (API_KEY in str(h.script.requests[0].url))

    async def test_booleans_are_lowercase(self) -> None:
        """adjusted, include_otc and active go as lowercase true/false."""
        h = Harness([ok(EMPTY)])

        await h.client.grouped_daily(date(2024, 1, 2), adjusted=False, include_otc=True)
        _ = [t async for t in h.client.list_tickers(active=False)]

        params = [dict(r.url.params) for r in h.script.requests]
        expected = [
            {"adjusted": "false", "include_otc": "true"},
            {"market": "stocks", "active": "false", "limit": "1000"},
        ]
        assert expected == params

    async def test_active_none_leaves_the_filter_out(self) -> None:
        """active=None and market=None send neither parameter."""
        h = Harness([ok(EMPTY)])

        _ = [t async for t in h.client.list_tickers(market=None, active=None)]

        expected = {"limit": "1000"}
        assert expected == dict(h.script.requests[0].url.params)

    @pytest.mark.parametrize(
        ("ticker", "segment"),
        [("BRK.A", "BRK.A"), ("KIMpL", "KIMpL"), ("A/B", "A%2FB"), ("X:BTCUSD", "X%3ABTCUSD")],
    )
    async def test_ticker_path_segment_is_encoded_and_never_recased(
        self, ticker: str, segment: str
    ) -> None:
        """The ticker is one percent-encoded path segment with its case unchanged."""
        h = Harness([ok(EMPTY)])

        await h.client.daily_bars(ticker, date(2024, 1, 2), date(2024, 1, 3))

        assert (
            f"/v2/aggs/ticker/{segment}/range/1/day/2024-01-02/2024-01-03"
            == (h.paths[0].split("?")[0])
        )

    async def test_bars_keep_the_requested_ticker_case(self) -> None:
        """Bars of KIMpL are tagged KIMpL, not KIMPL."""
        h = Harness([ok({"status": "OK", "results": [bar(1704171600000)]})])

        bars = await h.client.daily_bars("KIMpL", date(2024, 1, 2), date(2024, 1, 2))

        expected = ["KIMpL"]
        assert expected == [b.ticker for b in bars]


class TestPagination:
    async def test_follows_next_url_against_configured_base(self) -> None:
        """Page 2 goes to the configured host with next_url's path+query, auth re-sent."""
        page1 = fixture_body("v3_reference_tickers__page1.json")
        page2 = fixture_body("v3_reference_tickers__cursor_page2.json")
        h = Harness([ok(page1), ok(page2)])

        tickers = [t.ticker async for t in h.client.list_tickers()]

        second = h.script.requests[1]
        cursor = page1["next_url"].split("cursor=")[1]
        assert (["A", "AA", "AAA", "AAAU"], "polygon.test", cursor, f"Bearer {API_KEY}") == (
            tickers, second.url.host, second.url.params["cursor"], second.headers["authorization"],
        )  # fmt: skip

    async def test_apikey_in_next_url_is_dropped(self) -> None:
        """An apiKey in next_url is not sent back: the header authenticates."""
        page1 = {
            "status": "OK",
            "results": [],
            "next_url": "https://x/v3/reference/tickers?cursor=c2&apiKey=zzz",
        }
        h = Harness([ok(page1), ok(EMPTY)])

        _ = [t async for t in h.client.list_tickers()]

        expected = {"cursor": "c2"}
        assert expected == dict(h.script.requests[1].url.params)

    async def test_aggs_pages_with_a_repeated_cursor_but_new_path_are_followed(self) -> None:
        """Aggs paginate by rewriting `from`; the same cursor on a new path is not a loop."""
        next_url = "https://api.massive.com/v2/aggs/ticker/AAPL/range/1/day/1704258000000/2024-01-03?cursor=bGltaXQ9MQ"
        page1 = {"status": "OK", "results": [bar(1704171600000)], "next_url": next_url}
        page2 = {"status": "OK", "results": [bar(1704258000000)]}
        h = Harness([ok(page1), ok(page2)])

        bars = await h.client.daily_bars("AAPL", date(2024, 1, 2), date(2024, 1, 3))

        assert ([date(2024, 1, 2), date(2024, 1, 3)], 2) == (
            [b.trading_date for b in bars], h.client.requests_made,
        )  # fmt: skip

    async def test_next_url_repeating_a_page_raises(self) -> None:
        """A next_url that leads back to a page already fetched raises PolygonPaginationLoop."""
        loop = {
            "status": "OK",
            "results": [],
            "next_url": "https://a/v3/reference/tickers?cursor=AAA",
        }
        h = Harness([ok(loop)])

        with pytest.raises(PolygonPaginationLoop) as caught:
            _ = [t async for t in h.client.list_tickers()]

        expected = ("pagination_loop", 2)
        assert expected == (caught.value.kind, h.client.requests_made)

    async def test_each_page_consumes_a_rate_limit_permit(self) -> None:
        """Two pages, two permits, two requests counted."""
        page1 = fixture_body("v3_reference_tickers__page1.json")
        page2 = fixture_body("v3_reference_tickers__cursor_page2.json")
        h = Harness([ok(page1), ok(page2)])

        _ = [t async for t in h.client.list_tickers()]

        expected = (2, 2)
        assert expected == (h.limiter.acquired, h.client.requests_made)


class TestLifecycle:
    async def test_context_manager_closes_the_pool(self) -> None:
        """Leaving `async with` closes the pooled httpx client."""
        h = Harness([ok(EMPTY)])

        async with h.client as client:
            await client.grouped_daily(date(2024, 1, 2))

        with pytest.raises(RuntimeError):
            await h.client.grouped_daily(date(2024, 1, 2))
        expected = 1
        assert expected == len(h.script.requests)

    def test_transport_is_injected(self) -> None:
        """The injected transport is the one the pool uses (no real network in tests)."""
        h = Harness([ok(EMPTY)])

        assert isinstance(h.client._http._transport, httpx.MockTransport)
