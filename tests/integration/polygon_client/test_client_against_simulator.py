"""The client against the real simulator over HTTP: it returns exactly the simulator's truth,
with and without injected faults (5xx, 429, latency, results null, DELAYED)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date

import pytest

from services.polygon_sim.market.market import Market
from shared.clients.polygon import (
    PolygonAuthError,
    PolygonClient,
    PolygonMalformedResponse,
    PolygonNotEntitled,
)

from .simulator import END, START, Simulator, as_bars, run_simulator, truth_market

pytestmark = pytest.mark.integration

DAYS = [date(2024, 1, 2), date(2024, 2, 29), date(2024, 3, 28)]


@pytest.fixture(scope="module")
def market() -> Market:
    return truth_market()


@pytest.fixture(scope="module")
def clean_sim() -> Iterator[Simulator]:
    with run_simulator(unentitled_tickers=["BRK.B"], malformed_tickers=["KIMpL"]) as sim:
        yield sim


@pytest.fixture(scope="module")
def faulty_sim() -> Iterator[Simulator]:
    faults = dict(
        error_5xx_share=0.25, results_null_share=0.2, delayed_share=0.15,
        latency_mean_ms=5.0, latency_jitter_ms=5.0,
        rate_limit_requests=10, rate_limit_window_s=1.0,
    )  # fmt: skip
    with run_simulator(**faults) as sim:
        yield sim


def sample_tickers(market: Market) -> list[str]:
    """BRK.A plus a spread of ordinary names, some of them delisted."""
    # BRK.B and KIMpL are the clean simulator's unentitled and malformed names.
    names = [
        x.ticker
        for x in market.tickers()
        if x.market == "stocks" and x.ticker not in {"BRK.A", "BRK.B", "KIMpL"}
    ]
    return ["BRK.A", *names[:: max(1, len(names) // 25)]]


class TestCleanSimulator:
    async def test_tickers_follow_every_page(self, clean_sim: Simulator, market: Market) -> None:
        """Active stocks, 50 per page, come back complete and in order."""
        async with PolygonClient(clean_sim.settings()) as client:
            got = [t.ticker async for t in client.list_tickers(limit=50)]

        expected = [x.ticker for x in market.tickers() if x.market == "stocks" and not x.delisted]
        assert (expected, len(expected) // 50 + 1) == (got, client.requests_made)

    async def test_delisted_tickers(self, clean_sim: Simulator, market: Market) -> None:
        """active=False lists the delisted names with delisted_utc set."""
        async with PolygonClient(clean_sim.settings()) as client:
            got = [t async for t in client.list_tickers(active=False, limit=1000)]

        expected = [x.ticker for x in market.tickers() if x.market == "stocks" and x.delisted]
        assert (expected, True) == ([t.ticker for t in got], all(t.delisted_utc for t in got))

    @pytest.mark.parametrize("adjusted", [True, False])
    async def test_daily_bars_equal_truth(
        self, clean_sim: Simulator, market: Market, adjusted: bool
    ) -> None:
        """Per-ticker bars over the whole window equal the simulator's ground truth."""
        tickers = sample_tickers(market)
        async with PolygonClient(clean_sim.settings()) as client:
            got = {t: await client.daily_bars(t, START, END, adjusted=adjusted) for t in tickers}

        expected = {t: as_bars(market.bars(t, START, END, adjusted), adjusted, t) for t in tickers}
        assert expected == got

    @pytest.mark.parametrize("include_otc", [False, True])
    async def test_grouped_daily_equals_truth(
        self, clean_sim: Simulator, market: Market, include_otc: bool
    ) -> None:
        """Grouped days (and a weekend: empty) equal the ground truth."""
        days = [*DAYS, date(2024, 1, 6)]
        async with PolygonClient(clean_sim.settings()) as client:
            got = {d: await client.grouped_daily(d, include_otc=include_otc) for d in days}

        expected = {d: as_bars(market.grouped(d, True, include_otc), True) for d in days}
        assert (expected, []) == (got, got[date(2024, 1, 6)])

    async def test_wrong_key_is_an_auth_error(self, clean_sim: Simulator) -> None:
        """An unknown key gives PolygonAuthError after one request, without the key in it."""
        async with PolygonClient(clean_sim.settings(api_key="not-the-key")) as client:
            with pytest.raises(PolygonAuthError) as caught:
                await client.grouped_daily(DAYS[0])

        expected = (1, False)
        assert expected == (client.requests_made, "not-the-key" in str(caught.value))

    async def test_unentitled_and_malformed_are_permanent(self, clean_sim: Simulator) -> None:
        """403 and a truncated body raise their typed errors, one request each."""
        async with PolygonClient(clean_sim.settings()) as client:
            with pytest.raises(PolygonNotEntitled):
                await client.daily_bars("BRK.B", START, END)
            with pytest.raises(PolygonMalformedResponse):
                await client.daily_bars("KIMpL", START, END)

        expected = 2
        assert expected == client.requests_made


class TestFaultySimulator:
    async def test_truth_survives_5xx_429_latency_null_and_delayed(
        self, faulty_sim: Simulator, market: Market
    ) -> None:
        """Under injected faults the client still returns exactly the truth, using retries, and
        counts its requests by status as the simulator answered them."""
        tickers = sample_tickers(market)
        async with PolygonClient(faulty_sim.settings()) as client:
            # Concurrent, so the simulator's 10-per-second budget answers 429 too.
            fetched = await asyncio.gather(*(client.daily_bars(t, START, END) for t in tickers))
            bars = dict(zip(tickers, fetched, strict=True))
            days = {d: await client.grouped_daily(d) for d in DAYS}
            listed = [t.ticker async for t in client.list_tickers(limit=50)]

        stats = faulty_sim.stats()["statuses"]
        faults_seen = {s for s in ("429", "500", "502", "503", "504") if stats.get(s)}
        expected = (
            {t: as_bars(market.bars(t, START, END, True), True, t) for t in tickers},
            {d: as_bars(market.grouped(d, True, False), True) for d in DAYS},
            [x.ticker for x in market.tickers() if x.market == "stocks" and not x.delisted],
            True,
            True,
        )
        assert expected == (
            bars, days, listed, "429" in faults_seen and len(faults_seen) > 1,
            client.requests_made == sum(stats.values()),
        )  # fmt: skip
        # The client's count by status is the simulator's, 429s and 5xx retries included.
        assert {k: n for k, n in stats.items() if n} == client.requests_by_status
