"""The clock: SIM_TODAY and POST /_sim/clock reveal more of one fixed market, forward only."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from services.polygon_sim.app import create_app
from services.polygon_sim.clock import ClockError
from services.polygon_sim.market.calendar import ms_to_ny_date
from services.polygon_sim.market.market import Market

from .conftest import END, START, ClientFactory, small_settings

pytestmark = pytest.mark.unit

_MID = date(2024, 6, 28)


def _range(ticker: str, adjusted: bool = True) -> str:
    return (
        f"/v2/aggs/ticker/{ticker}/range/1/day/{START}/2026-12-31?adjusted={str(adjusted).lower()}"
    )


def _forward_split(market: Market) -> dict[str, Any]:
    """The forced 2-for-1 split, executing late in the window."""
    return next(s for s in market.splits() if (s["split_to"], s["split_from"]) == (2, 1))


class TestClockEndpoint:
    async def test_defaults_to_history_end_or_sim_today(self, sim_client: ClientFactory) -> None:
        """Without SIM_TODAY today is the history's end; with it, SIM_TODAY."""
        async with sim_client() as client:
            default = (await client.get("/_sim/clock")).json()
        async with sim_client(today=_MID) as client:
            set_ = (await client.get("/_sim/clock")).json()

        assert (str(END), str(_MID)) == (default["today"], set_["today"])
        assert {"history_start", "history_end", "horizon_end"} < set(default)

    async def test_moves_forward_only(self, sim_client: ClientFactory) -> None:
        """Forward (or the same day) is 200; backward, malformed or past the horizon is 400."""
        async with sim_client(today=_MID) as client:
            statuses = [
                (await client.post("/_sim/clock", json={"today": day})).status_code
                for day in ("2024-09-30", "2024-09-30", "2024-07-01", "2024-9-31", "2099-01-01")
            ]
            statuses.append((await client.post("/_sim/clock", content=b"nope")).status_code)
            statuses.append((await client.post("/_sim/clock", json={"day": "x"})).status_code)
            today = (await client.get("/_sim/clock")).json()["today"]

        assert [200, 200, 400, 400, 400, 400, 400] == statuses
        assert "2024-09-30" == today

    def test_sim_today_outside_the_span_is_refused(self, market: Market) -> None:
        """SIM_TODAY before the history or past the horizon stops the app from starting."""
        with pytest.raises(ValidationError):
            small_settings(today=START - timedelta(days=1))
        with pytest.raises(ClockError):
            create_app(small_settings(today=market.horizon_end + timedelta(days=1)), market=market)


class TestClockRevealsData:
    async def test_bars_stop_at_today_and_grow_when_it_moves(
        self, sim_client: ClientFactory
    ) -> None:
        """Range bars end at today; after a move they reach the new today, older bars unchanged."""
        async with sim_client(today=_MID) as client:
            before = (await client.get(_range("BRK.B", adjusted=False))).json()["results"]
            await client.post("/_sim/clock", json={"today": "2026-01-15"})
            after = (await client.get(_range("BRK.B", adjusted=False))).json()["results"]

        assert (_MID, date(2026, 1, 15)) == (
            ms_to_ny_date(before[-1]["t"]),
            ms_to_ny_date(after[-1]["t"]),
        )
        assert before == after[: len(before)]

    async def test_grouped_day_after_today_is_empty(self, sim_client: ClientFactory) -> None:
        """A grouped day after today has no rows until the clock reaches it."""
        url = "/v2/aggs/grouped/locale/us/market/stocks/2024-07-01"
        async with sim_client(today=_MID) as client:
            early = (await client.get(url)).json()["resultsCount"]
            await client.post("/_sim/clock", json={"today": "2024-07-01"})
            late = (await client.get(url)).json()["resultsCount"]

        assert 0 == early
        assert 250 < late

    async def test_events_are_served_once_announced(
        self, sim_client: ClientFactory, market: Market
    ) -> None:
        """A split is absent before its announcement and served from then on."""
        split = _forward_split(market)
        executes = date.fromisoformat(split["execution_date"])
        params = {"ticker": split["ticker"], "execution_date": split["execution_date"]}
        async with sim_client(today=executes - timedelta(days=60)) as client:
            early = (await client.get("/v3/reference/splits", params=params)).json()["results"]
            await client.post("/_sim/clock", json={"today": str(executes - timedelta(days=1))})
            known = (await client.get("/v3/reference/splits", params=params)).json()["results"]

        assert ([], [split]) == (early, known)

    async def test_a_listing_appears_on_its_first_day(
        self, sim_client: ClientFactory, market: Market
    ) -> None:
        """A ticker listed mid-window is not in the reference list before its first session."""
        late = next(x for x in market.tickers() if x.first_index > 5)
        first_day = market.calendar.days[late.first_index]
        params = {"ticker": late.ticker}
        async with sim_client(today=first_day - timedelta(days=1)) as client:
            before = (await client.get("/v3/reference/tickers", params=params)).json()["results"]
            await client.post("/_sim/clock", json={"today": str(first_day)})
            after = (await client.get("/v3/reference/tickers", params=params)).json()["results"]

        assert ([], [late.ticker]) == (before, [r["ticker"] for r in after])


class TestAdjustmentAtTheClock:
    async def test_a_known_split_adjusts_only_once_executed(
        self, sim_client: ClientFactory, market: Market
    ) -> None:
        """The day before execution, adjusted = as traded; from execution on, older bars are
        divided by the split (to 4 decimals), as the real API's answers change over time."""
        split = _forward_split(market)
        executes = date.fromisoformat(split["execution_date"])
        ticker, ratio = split["ticker"], split["split_from"] / split["split_to"]
        async with sim_client(today=executes - timedelta(days=1)) as client:
            raw = (await client.get(_range(ticker, adjusted=False))).json()["results"]
            unadjusted = (await client.get(_range(ticker))).json()["results"]
            await client.post("/_sim/clock", json={"today": str(executes)})
            adjusted = (await client.get(_range(ticker))).json()["results"]
        older = [
            (r, a) for r, a in zip(raw, adjusted, strict=False) if ms_to_ny_date(r["t"]) < executes
        ]

        assert raw == unadjusted
        assert [round(r["c"] * ratio, 4) for r, _ in older] == [a["c"] for _, a in older]

    def test_adjusted_is_traded_over_the_executed_factor(self, market: Market) -> None:
        """For every ticker with splits, adjusted close = as-traded close / the product of the
        splits executed after the bar and by today (to the simulator's 4-decimal rounding)."""
        today = date(2026, 6, 30)
        splits = market.splits(today=today)
        broken = []
        for ticker in sorted({s["ticker"] for s in splits}):
            executed = [
                s for s in splits if s["ticker"] == ticker and s["execution_date"] <= str(today)
            ]
            raw = market.bars(ticker, START, today, adjusted=False, today=today)
            adjusted = market.bars(ticker, START, today, adjusted=True, today=today)
            for r, a in zip(raw, adjusted, strict=True):
                day = str(ms_to_ny_date(r["t"]))
                factor = 1.0
                for s in executed:
                    if day < s["execution_date"]:
                        factor *= s["split_to"] / s["split_from"]
                expected = r["c"] if factor == 1 else max(round(r["c"] / factor, 4), 0.0001)
                if expected != a["c"]:
                    broken.append((ticker, day, r["c"], a["c"], factor))

        assert [] == broken
        assert 10 < len({s["ticker"] for s in splits})


class TestUniverseIndependentOfClock:
    def test_same_market_whatever_the_clock(self, market: Market) -> None:
        """Listings at the horizon and as-traded bars do not depend on SIM_TODAY."""
        apps = [
            create_app(small_settings(today=day, warm_start=False))
            for day in (date(2024, 1, 2), END)
        ]
        markets = [app.state.sim.market for app in apps]

        assert markets[0].tickers(market.horizon_end) == markets[1].tickers(market.horizon_end)
        assert markets[0].bars("BRK.B", START, END, False) == market.bars(
            "BRK.B", START, END, False
        )
        assert [str(a.state.sim.clock.today) for a in apps] == ["2024-01-02", str(END)]
