"""Rejected corporate actions: listed in the ledger with why, never in the factors, and warned
about by a test whose stored failures name them; a new split rebuilds only its ticker; a late
dividend (within the history) rewrites its ticker in int and no mart row; a dividend on a new
day (the daily run's case) rewrites no stored row at all, yet moves every earlier tr_close."""

from __future__ import annotations

import pytest

from tests.integration.dbt.comparing import approx_rows, plain_rows
from tests.integration.dbt.conftest import (
    AAA_NEW_DIVIDEND,
    BRK_NEW_SPLIT,
    ActionRebuild,
    Build,
    DailyDividend,
)
from tests.integration.dbt.project import FACTORS, DbtProject
from tests.integration.dbt.raw_data import BRK_REVERSE_SPLIT_DAY, DBT_REJECTED, LOADER_REJECTS

pytestmark = pytest.mark.integration

WARN_TEST = "fct_rejected_corporate_actions_none"


def ledger(build: Build) -> dict[tuple[str, str, str], str]:
    return {
        (r["rejected_by"], r["action_kind"], r["event_id"]): r["rejection_reason"]
        for r in build.marts["fct_rejected_corporate_actions"]
    }


class TestRejectedEvents:
    def test_ledger_lists_the_loaders_and_dbts_rejects_with_their_reasons(
        self, first_build: Build
    ) -> None:
        """Every loader reject and every relational reject (split_from 0, dividend above the
        previous close, no previous close, unknown ticker) is one ledger row with its reason."""
        expected = {
            **{("loader", r.kind, r.event_id): r.reason for r in LOADER_REJECTS},
            **{("dbt", kind, event_id): why for (kind, event_id), why in DBT_REJECTED.items()},
        }

        actual = ledger(first_build)

        assert expected == actual

    def test_rejected_events_never_reach_the_factors(self, first_build: Build) -> None:
        """KIMpL's events are all rejected: every one of its bars keeps factors 1 and 1."""
        expected = {(1.0, 1.0)}

        actual = {
            (r["split_factor"], r["dividend_factor"])
            for r in first_build.marts["fct_adjusted_bars"]
            if r["ticker"] == "KIMpL"
        }

        assert expected == actual

    def test_the_warn_test_fires_and_its_failures_name_the_events(
        self, dbt_project: DbtProject, first_build: Build
    ) -> None:
        """The ledger's test warns (the build goes on) and the rows it stored name each event."""
        expected = ("warn", {event_id for (_, _, event_id) in ledger(first_build)})

        stored = dbt_project.read(f"dbt_test__audit.{WARN_TEST}")
        actual = (first_build.invocation.status_of(WARN_TEST), {r["event_id"] for r in stored})

        assert expected == actual


def rewritten(rebuild: ActionRebuild, tables: list[str], ticker: str) -> str:
    """Whether the build wrote a new version (xmin) of every row of `ticker` in `tables`, of
    none of them, or of some (a row new to a table, such as a new split's range, is written)."""
    changes = {
        rebuild.before[table].get(key) != version
        for table in tables
        for key, version in rebuild.after[table].items()
        if key.startswith(f"{ticker}|")
    }
    return {frozenset({True}): "all rewritten", frozenset({False}): "untouched"}.get(
        frozenset(changes), "mixed"
    )


class TestNewSplitRebuildsOnlyItsTicker:
    def test_the_splits_ticker_is_rewritten_whole_and_the_others_untouched(
        self, new_split_rebuild: ActionRebuild
    ) -> None:
        """Every mart row and factor range of BRK.A gets a new row version (xmin); no row of
        another ticker does."""
        expected = {"BRK.A": "all rewritten", "AAA": "untouched", "KIMpL": "untouched"}

        actual = {
            t: rewritten(new_split_rebuild, list(new_split_rebuild.after), t) for t in expected
        }

        assert expected == actual

    def test_the_new_split_adjusts_the_history_as_a_full_refresh_does(
        self, new_split_rebuild: ActionRebuild
    ) -> None:
        """After the incremental build BRK.A's bars between its reverse split and the new split
        carry the new split's 1/3, and every mart and the factors equal a full refresh."""
        incremental = new_split_rebuild.incremental
        ratio = BRK_NEW_SPLIT.split_from / BRK_NEW_SPLIT.split_to
        before_split = [
            r
            for r in incremental.marts["fct_adjusted_bars"]
            if r["ticker"] == "BRK.A"
            and BRK_REVERSE_SPLIT_DAY <= r["trading_date"] < BRK_NEW_SPLIT.execution_date
        ]

        assert before_split
        assert all(r["split_factor"] == pytest.approx(ratio) for r in before_split)
        assert matches_a_full_refresh(new_split_rebuild)


class TestNewDividendRewritesIntNotTheMarts:
    INT = "intermediate.int_stock_bars_adjusted"
    MARTS = ("marts.fct_moving_averages", "marts.fct_rolling_volatility")

    def test_int_rewrites_the_ticker_and_no_mart_row_is_written(
        self, new_dividend_rebuild: ActionRebuild
    ) -> None:
        """The dividend, within AAA's history, moves its total-return index from the ex-date
        on, so int writes every AAA row again; the moving averages and volatility read the
        split-adjusted series, which it does not move, so they write no row at all."""
        tickers = ["AAA", "BRK.A", "KIMpL"]
        expected = {
            "int": {"AAA": "all rewritten", "BRK.A": "untouched", "KIMpL": "untouched"},
            "factors": {"AAA": "all rewritten", "BRK.A": "untouched", "KIMpL": "untouched"},
            "marts": dict.fromkeys(tickers, "untouched"),
        }

        actual = {
            "int": {t: rewritten(new_dividend_rebuild, [self.INT], t) for t in tickers},
            "factors": {t: rewritten(new_dividend_rebuild, [FACTORS], t) for t in tickers},
            "marts": {t: rewritten(new_dividend_rebuild, list(self.MARTS), t) for t in tickers},
        }

        assert expected == actual

    def test_the_dividend_moves_the_total_return_only_and_matches_a_full_refresh(
        self, new_split_rebuild: ActionRebuild, new_dividend_rebuild: ActionRebuild
    ) -> None:
        """AAA's bars before the new ex-date get a lower tr_close and the same adjusted close;
        every mart equals a full refresh."""
        before = {
            r["bar_id"]: r
            for r in new_split_rebuild.full_refresh.marts["fct_adjusted_bars"]
            if r["ticker"] == "AAA"
        }
        incremental = new_dividend_rebuild.incremental
        moved = {
            (
                r["tr_close"] < before[r["bar_id"]]["tr_close"],
                r["adj_close"] == before[r["bar_id"]]["adj_close"],
            )
            for r in incremental.marts["fct_adjusted_bars"]
            if r["ticker"] == "AAA" and r["trading_date"] < AAA_NEW_DIVIDEND.ex_dividend_date
        }

        assert {(True, True)} == moved
        assert {
            m: approx_rows(rows) for m, rows in new_dividend_rebuild.full_refresh.marts.items()
        } == {m: plain_rows(rows) for m, rows in incremental.marts.items()}


def matches_a_full_refresh(rebuild: ActionRebuild) -> bool:
    """The marts, and the factors exactly (the same products in the same order)."""
    incremental, full_refresh = rebuild.incremental, rebuild.full_refresh
    return full_refresh.factors == incremental.factors and {
        m: approx_rows(rows) for m, rows in full_refresh.marts.items()
    } == {m: plain_rows(rows) for m, rows in incremental.marts.items()}


class TestDividendOnANewDay:
    TABLES = (
        "intermediate.int_stock_bars_adjusted",
        "marts.fct_moving_averages",
        "marts.fct_rolling_volatility",
    )

    def test_only_the_new_bar_is_written(self, daily_dividend: DailyDividend) -> None:
        """The dividend's ex-date is the new bar's date: no stored row of any per-bar table
        gets a new version (dividends grow the index forward); each gets AAA's new row."""
        rebuild = daily_dividend.rebuild
        new_bar = f"AAA|{daily_dividend.day.isoformat()}"
        expected: dict[str, tuple[set[str], set[str]]] = {
            t: ({new_bar}, set()) for t in self.TABLES
        }

        actual = {
            t: (
                set(rebuild.after[t]) - set(rebuild.before[t]),
                {k for k, v in rebuild.before[t].items() if rebuild.after[t].get(k) != v},
            )
            for t in self.TABLES
        }

        assert expected == actual

    def test_every_earlier_tr_close_moves_and_the_marts_match_a_full_refresh(
        self, daily_dividend: DailyDividend, new_dividend_rebuild: ActionRebuild
    ) -> None:
        """The views apply the new dividend to every AAA bar before its ex-date (a lower
        tr_close, the same adjusted close), as a full refresh does."""
        before = {
            r["bar_id"]: r
            for r in new_dividend_rebuild.full_refresh.marts["fct_adjusted_bars"]
            if r["ticker"] == "AAA"
        }
        moved = {
            (
                r["tr_close"] < before[r["bar_id"]]["tr_close"],
                r["adj_close"] == before[r["bar_id"]]["adj_close"],
            )
            for r in daily_dividend.rebuild.incremental.marts["fct_adjusted_bars"]
            if r["bar_id"] in before
        }

        assert {(True, True)} == moved
        assert matches_a_full_refresh(daily_dividend.rebuild)


class TestDividendMovedOffTheHistory:
    def test_int_rewrites_the_ticker_and_matches_a_full_refresh(
        self, moved_dividend: ActionRebuild
    ) -> None:
        """Its new ex-date is after every bar, but its old one was within the history: int
        writes AAA again whole (its last row's factors no longer match), as a full refresh."""
        table = "intermediate.int_stock_bars_adjusted"

        assert rewritten(moved_dividend, [table], "AAA") == "all rewritten"
        assert rewritten(moved_dividend, [table], "BRK.A") == "untouched"
        assert matches_a_full_refresh(moved_dividend)


class TestEventsMovedToAnotherTicker:
    def test_the_factors_follow_the_events_as_a_full_refresh_does(
        self, splits_to_another_ticker: ActionRebuild
    ) -> None:
        """KIMpL's ranges are written again without its split and NOBODY2 gets both; NOBODY,
        left without an event, keeps one open range stamped with its split's move (raw's
        trigger records it). AAA's and BRK.A's stay as they were written."""
        rebuild = splits_to_another_ticker
        expected = {
            "tickers": {"AAA", "BRK.A", "KIMpL", "NOBODY", "NOBODY2"},
            "AAA": "untouched",
            "BRK.A": "untouched",
            "KIMpL": "all rewritten",
        }

        actual = {
            "tickers": {r["ticker"] for r in rebuild.incremental.factors},
            **{t: rewritten(rebuild, [FACTORS], t) for t in ("AAA", "BRK.A", "KIMpL")},
        }

        assert expected == actual
        assert rebuild.full_refresh.factors == rebuild.incremental.factors

    def test_the_marts_rebuild_the_tickers_the_splits_left_as_a_full_refresh_does(
        self, splits_to_another_ticker: ActionRebuild
    ) -> None:
        """KIMpL's split-adjusted rows had the split's load as their inputs' newest; without
        the move recorded (raw.split_ticker_moves) the marts looked for newer inputs only and
        kept them, unlike a full refresh."""
        rebuild = splits_to_another_ticker
        tables = ["marts.fct_moving_averages", "marts.fct_rolling_volatility"]

        assert rewritten(rebuild, tables, "KIMpL") == "all rewritten"
        assert rewritten(rebuild, tables, "AAA") == "untouched"
        assert matches_a_full_refresh(rebuild)
