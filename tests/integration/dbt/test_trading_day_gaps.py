"""The gap check: a ticker missing trading days between its first and last bar is reported
(warn), counted against the calendar of dates on which any ticker has a bar."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from tests.integration.dbt.conftest import Build
from tests.integration.dbt.project import DbtProject
from tests.integration.dbt.raw_data import Dividend, RawBar, bad_bar, trading_days
from tests.integration.dbt.writers import insert_bars, insert_dividends

pytestmark = pytest.mark.integration

GAP_TEST = "int_stock_bars_adjusted_no_missing_trading_days"


def gap_bars() -> list[RawBar]:
    """GAP trades on 6 weekdays from 2023-01-02 but not the 3rd and 4th, while AAA does."""
    days = trading_days(dt.date(2023, 1, 2), 6)
    sane = replace(bad_bar(), ticker="GAP", low=9.0, object_key="raw/polygon/run-dbt-test/GAP.json")
    return [replace(sane, trading_date=d) for i, d in enumerate(days) if i not in (2, 3)]


class TestTradingDayGaps:
    def test_the_clean_data_has_no_gap_the_calendar_can_see(self, first_build: Build) -> None:
        """AAA's March gap falls on dates no other ticker trades: the derived calendar does not
        hold them, so the first build passes the check."""
        assert "pass" == first_build.invocation.status_of(GAP_TEST)

    def test_a_ticker_missing_days_others_traded_warns(
        self, dbt_project: DbtProject, first_build: Build
    ) -> None:
        """Two missing days inside GAP's span: once GAP's bars are built, the check warns (one
        ticker), the build does not fail. The check reads int's rows through its view
        fct_daily_returns (so that it does not hold back the marts): both are selected."""
        insert_bars(dbt_project, gap_bars())
        try:
            invocation = dbt_project.invoke(
                "build", "--select", "int_stock_bars_adjusted", "fct_daily_returns"
            )
            with dbt_project.connect() as conn, conn.cursor() as cur:
                cur.execute(
                    "select trading_days_missing from"
                    f" ({_compiled_gap_query(dbt_project)}) t where ticker = 'GAP'"
                )
                missing = cur.fetchall()
        finally:
            with dbt_project.connect() as conn, conn.cursor() as cur:
                cur.execute("delete from raw.stock_bars_daily where ticker = 'GAP'")
                cur.execute("delete from intermediate.int_stock_bars_adjusted where ticker = 'GAP'")

        assert (0, "warn", [(2,)]) == (
            invocation.returncode,
            invocation.status_of(GAP_TEST),
            missing,
        )

    def test_a_dividend_rewriting_old_bars_does_not_test_their_days_again(
        self, dbt_project: DbtProject, first_build: Build
    ) -> None:
        """GAP's bars, with their two missing days, are built; then they count as loaded two
        days ago, out of the tested window. A dividend on the first bar after the gap, within
        the history, makes int write GAP again whole, and the bars from its ex-date on (the gap
        bar and the last) get new inputs_loaded_at (their total return moved). It moves no date,
        so the two date checks, which read the rows whose bar is new (loaded_at), pass."""
        bars = gap_bars()
        insert_bars(dbt_project, bars)
        selected = ("+int_stock_bars_adjusted", "fct_daily_returns")
        try:
            dbt_project.invoke("build", "--select", *selected)
            with dbt_project.connect() as conn, conn.cursor() as cur:
                cur.execute(
                    "update raw.stock_bars_daily set loaded_at = now() - interval '2 days'"
                    " where ticker = 'GAP'"
                )
            insert_dividends(dbt_project, [Dividend("GAPD", "GAP", bars[2].trading_date, 0.1)])
            invocation = dbt_project.invoke("build", "--select", *selected)
            with dbt_project.connect() as conn, conn.cursor() as cur:
                cur.execute(
                    "select count(*) filter (where inputs_loaded_at > now() - interval '1 hour'),"
                    " count(*) from intermediate.int_stock_bars_adjusted where ticker = 'GAP'"
                )
                rewritten = cur.fetchone()
        finally:
            with dbt_project.connect() as conn, conn.cursor() as cur:
                cur.execute("delete from raw.stock_bars_daily where ticker = 'GAP'")
                cur.execute("delete from raw.stock_dividends where ticker = 'GAP'")
                for model in (
                    "int_stock_bars_adjusted",
                    "int_adjustment_factors",
                    "int_corporate_actions_validated",
                ):
                    cur.execute(f"delete from intermediate.{model} where ticker = 'GAP'")

        assert ((2, 4), "pass", "pass") == (
            rewritten,
            invocation.status_of(GAP_TEST),
            invocation.status_of("int_stock_bars_adjusted_max_days_between_bars"),
        )


def _compiled_gap_query(project: DbtProject) -> str:
    """The gap test's SQL as dbt compiled it in the last invocation."""
    [path] = (project.work_dir / "target" / "compiled").rglob(f"{GAP_TEST}.sql")
    return path.read_text()
