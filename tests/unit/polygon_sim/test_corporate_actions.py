"""Splits and dividends of the Python ground truth: realistic, consistent, fixed by the seed."""

from __future__ import annotations

import re
from datetime import date

import pytest

from services.polygon_sim.market.market import Market
from services.polygon_sim.scenarios import corporate_action_examples

from .conftest import END, SEED, START

pytestmark = pytest.mark.unit

_ID = re.compile(r"^E[0-9a-f]{64}$")


def _close_before(market: Market, ticker: str, day: str) -> float:
    """The as-traded close of the session before `day`."""
    sessions = market.calendar.days
    before = sessions[market.calendar.last_through(date.fromisoformat(day)) - 1]
    (bar,) = market.bars(ticker, before, before, adjusted=False)
    return float(bar["c"])


class TestSplits:
    def test_forward_and_reverse_splits_on_trading_days(self, market: Market) -> None:
        """The window has 2-for-1 and 1-for-10 splits, each executing on a session."""
        splits = market.splits()
        ratios = {(s["split_to"], s["split_from"]) for s in splits}
        sessions = {d.isoformat() for d in market.sessions(START, END)}

        assert {(2, 1), (1, 10)} <= ratios
        assert [] == [s for s in splits if s["execution_date"] not in sessions]

    def test_ids_are_unique_and_shaped_like_the_apis(self, market: Market) -> None:
        """Every split and dividend id is "E" + 64 hex digits, never shared."""
        ids = [r["id"] for r in market.splits() + market.dividends()]

        assert len(ids) == len(set(ids))
        assert [] == [i for i in ids if not _ID.match(i)]


class TestDividends:
    def test_a_third_of_the_tickers_pay(self, market: Market) -> None:
        """About 30-40 % of the tickers pay dividends, quarterly or monthly."""
        dividends = market.dividends()
        share = len({d["ticker"] for d in dividends}) / len(market.tickers())

        assert 0.25 < share < 0.45
        assert {4, 12} == {d["frequency"] for d in dividends if d["dividend_type"] == "CD"}

    def test_specials_are_one_time(self, market: Market) -> None:
        """Over the whole horizon some special (SC) dividends occur, all with frequency 0."""
        specials = [
            d for d in market.dividends(today=market.horizon_end) if d["dividend_type"] == "SC"
        ]

        assert 0 < len(specials)
        assert {0} == {d["frequency"] for d in specials}

    def test_amount_is_a_small_share_of_the_previous_close(self, market: Market) -> None:
        """Amounts are cents, at least 0.01; regular ones at most ~1 % of the previous as-traded
        close, specials at most 8 %."""
        dividends = market.dividends(end=END)  # known ones may go ex after the window
        limit = {"CD": 0.011, "SC": 0.081}
        too_big = [
            d
            for d in dividends
            if d["cash_amount"]
            > limit[d["dividend_type"]] * _close_before(market, d["ticker"], d["ex_dividend_date"])
            + 0.01
        ]

        assert [] == too_big
        assert [] == [d for d in dividends if d["cash_amount"] < 0.01]
        assert [] == [d for d in dividends if round(d["cash_amount"], 2) != d["cash_amount"]]

    def test_dates_are_ordered(self, market: Market) -> None:
        """declaration < ex-date (a session) < record date <= pay date; currency USD."""
        sessions = {d.isoformat() for d in market.calendar.days}
        broken = [
            d
            for d in market.dividends()
            if not d["declaration_date"] < d["ex_dividend_date"] < d["record_date"] <= d["pay_date"]
            or d["ex_dividend_date"] not in sessions
            or d["currency"] != "USD"
        ]

        assert [] == broken


class TestDeterminism:
    def test_same_arguments_same_events(self, market: Market) -> None:
        """A second market from the same arguments has the very same splits and dividends."""
        twin = Market(SEED, 300, START, END)

        assert (market.splits(), market.dividends()) == (twin.splits(), twin.dividends())

    def test_a_later_clock_only_adds_events(self, market: Market) -> None:
        """Events known at an earlier day are all still known, unchanged, at a later one."""
        early, late = date(2024, 3, 1), date(2026, 3, 1)
        for kind in (market.splits, market.dividends):
            before, after = kind(today=early), kind(today=late)

            assert before == [r for r in after if r in before]
            assert len(before) < len(after)


class TestExamples:
    def test_e2e_universe_has_each_event_in_the_second_half_of_2024(self) -> None:
        """Seed 7, 40 tickers, 2023-2024: a 2-for-1, a 1-for-10 and a dividend after H1 2024."""
        ex = corporate_action_examples(
            7, 40, date(2023, 1, 3), date(2024, 12, 31), date(2024, 6, 28)
        )

        assert ((2, 1), (1, 10)) == (
            (ex.forward_split["split_to"], ex.forward_split["split_from"]),
            (ex.reverse_split["split_to"], ex.reverse_split["split_from"]),
        )
        assert "2024-06-28" < min(
            ex.forward_split["execution_date"],
            ex.reverse_split["execution_date"],
            ex.dividend["ex_dividend_date"],
        )
        assert ex.dividend["ticker"].isupper() and ex.dividend["ticker"].isalpha()

    def test_examples_match_the_market(self, market: Market) -> None:
        """The helper's rows are the market's own, for a prebuilt market too."""
        ex = corporate_action_examples(SEED, 300, START, END, date(2024, 6, 30), market=market)

        assert ex.forward_split in market.splits()
        assert ex.dividend in market.dividends()

    def test_an_empty_span_raises(self, market: Market) -> None:
        """A span without a 1-for-10 split raises LookupError rather than guessing."""
        with pytest.raises(LookupError):
            corporate_action_examples(
                SEED, 300, START, END, date(2023, 1, 3), date(2023, 1, 20), market
            )
