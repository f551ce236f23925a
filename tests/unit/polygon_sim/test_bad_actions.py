"""SIM_BAD_CORPORATE_ACTIONS: hostile splits and dividends, served only with the setting."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from services.polygon_sim.market.market import Market

from .conftest import ClientFactory

pytestmark = pytest.mark.unit

_PROBLEMS = {
    "split_from is 0",
    "ticker not in the universe",
    "negative cash_amount",
    "cash_amount above the previous close",
    "one id twice with different values",
}


async def _pages(client: httpx.AsyncClient, path: str, limit: int) -> list[list[dict[str, Any]]]:
    """Every page of a whole-market query over the history, as lists of rows."""
    body = (await client.get(path, params={"limit": limit, "order": "asc"})).json()
    pages = [body["results"]]
    while "next_url" in body:
        body = (await client.get(body["next_url"])).json()
        pages.append(body["results"])
    return pages


class TestOffByDefault:
    async def test_no_hostile_events_without_the_setting(self, sim_client: ClientFactory) -> None:
        """By default the truth lists none and no answer holds one."""
        async with sim_client() as client:
            truth = (await client.get("/_sim/truth/bad_corporate_actions")).json()
            rows = [r for p in await _pages(client, "/v3/reference/dividends", 1000) for r in p]

        assert {"enabled": False, "events": []} == truth
        assert [] == [r for r in rows if r["cash_amount"] <= 0 or r["ticker"] == "ZZNOTREAL"]


class TestServedWithTheSetting:
    async def test_each_listed_event_is_served_in_whole_market_answers(
        self, sim_client: ClientFactory
    ) -> None:
        """Every hostile row the truth lists is in the whole-market pages, ids twice at most."""
        async with sim_client(bad_corporate_actions=True) as client:
            truth = (await client.get("/_sim/truth/bad_corporate_actions")).json()
            served = {
                kind: [r for p in await _pages(client, f"/v3/reference/{kind}s", 1000) for r in p]
                for kind in ("split", "dividend")
            }
        listed = truth["events"]

        assert _PROBLEMS == {e["problem"] for e in listed}
        assert [] == [r for e in listed for r in e["rows"] if r not in served[e["kind"]]]
        assert all(e["known"] for e in listed)

    async def test_the_duplicate_shares_a_page_whatever_the_limit(
        self, sim_client: ClientFactory
    ) -> None:
        """The id served twice, with different amounts, lands twice in one answer page."""
        async with sim_client(bad_corporate_actions=True) as client:
            truth = (await client.get("/_sim/truth/bad_corporate_actions")).json()
            (dup,) = [e for e in truth["events"] if e["problem"].startswith("one id")]
            paged = {
                limit: await _pages(client, "/v3/reference/dividends", limit) for limit in (1, 7)
            }
        pages_with_it = {
            limit: [
                [r for r in p if r["id"] == dup["id"]]
                for p in pages
                if dup["id"] in [r["id"] for r in p]
            ]
            for limit, pages in paged.items()
        }

        assert {1: [dup["rows"]], 7: [dup["rows"]]} == pages_with_it
        assert dup["rows"][0]["cash_amount"] != dup["rows"][1]["cash_amount"]

    def test_above_close_is_above_the_previous_close(self, market: Market) -> None:
        """The oversized dividend pays more than the as-traded close of the session before."""
        (event,) = [e for e in market.corporate_actions(True).bad if "above" in e.problem]
        row = event.rows[0]
        day = market.calendar.last_through(date.fromisoformat(row["ex_dividend_date"]))
        before = market.calendar.days[day - 1]
        (bar,) = market.bars(row["ticker"], before, before, adjusted=False)

        assert row["cash_amount"] > bar["c"]

    def test_placed_in_the_second_half_of_the_history(self, market: Market) -> None:
        """Hostile events fall in the second half of the history, on known tickers or ZZNOTREAL."""
        bad = market.corporate_actions(True).bad
        dates = [r.get("execution_date") or r["ex_dividend_date"] for e in bad for r in e.rows]
        middle = market.history_start + (market.history_end - market.history_start) / 2
        tickers = {x.ticker for x in market.tickers()} | {"ZZNOTREAL"}

        assert [] == [d for d in dates if not str(middle) <= d <= str(market.history_end)]
        assert {r["ticker"] for e in bad for r in e.rows} <= tickers

    def test_truth_splits_leave_them_out(self, market: Market) -> None:
        """The genuine truth never holds a hostile event."""
        bad_ids = {r["id"] for e in market.corporate_actions(True).bad for r in e.rows}

        assert set() == bad_ids & {r["id"] for r in market.splits() + market.dividends()}
