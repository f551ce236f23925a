"""Corporate actions end to end, every service a real process: a backfill at the simulator's
clock T1, the clock moved past a 2-for-1, a 1-for-10 and a dividend, then an incremental run.
Adjusted series come from as-traded bars and events, and equal what the API itself would answer.

Runs first (the file name): it moves the simulator's clock from T1 to T2 for the whole session.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from services.polygon_sim.scenarios import CorporateActionExamples, corporate_action_examples
from testbed.pipeline import Pipeline

from .conftest import HISTORY, SEED, T1, T2, UNIVERSE, malformed_ticker
from .warehouse import NEW_YORK, sim_requests

pytestmark = pytest.mark.e2e
START = date(2024, 1, 2)
# The simulator rounds split-adjusted prices to 1/10,000 of a dollar; we multiply exactly.
SIM_ROUNDING = 0.5e-4 + 1e-9
PRICES = (("o", "adj_open"), ("h", "adj_high"), ("l", "adj_low"), ("c", "adj_close"))


def examples() -> CorporateActionExamples:
    return corporate_action_examples(SEED, UNIVERSE, *HISTORY, after=T1, through=T2)


def tickers() -> list[str]:
    ex = examples()
    named = {ex.forward_split["ticker"], ex.reverse_split["ticker"], ex.dividend["ticker"]}
    assert malformed_ticker() not in named, "the malformed ticker would hide the events"
    return sorted(named)


async def _fetch(p: Pipeline, sql: str, *args: Any) -> list[Any]:
    conn = await p.connect()
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


@pytest.fixture(scope="module")
async def after_the_split(pipeline: Pipeline) -> dict[str, Any]:
    """Backfill at T1, move the clock to T2, run incrementally; the requests the second run
    made, and its row."""
    backfill = await pipeline.request_run(**{"from": START, "to": T1}, tickers=tickers())
    first = await pipeline.wait_finished(backfill)
    pipeline.set_clock(T2)
    before = await sim_requests(pipeline)
    run_id = await pipeline.request_run(to=T2, tickers=tickers())
    row = await pipeline.wait_finished(run_id)
    after = await sim_requests(pipeline)
    spent = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    return {"backfill": first, "run_id": run_id, "row": row, "requests": spent}


def _adjusted_truth(p: Pipeline) -> dict[tuple[str, date], dict[str, Any]]:
    truth = p.truth(tickers(), START, T2, adjusted=True)
    out = {}
    for ticker, bars in truth.items():
        for bar in bars:
            out[(ticker, datetime.fromtimestamp(bar["t"] / 1000, NEW_YORK).date())] = bar
    return out


class TestIncrementalRunAfterSplits:
    async def test_both_runs_succeed(self, after_the_split: dict[str, Any]) -> None:
        """Neither run has a failed ticker or a failed data test."""
        runs = (after_the_split["backfill"], after_the_split["row"])

        assert ["succeeded"] * 2 == [r["status"] for r in runs], [r["reason"] for r in runs]

    async def test_only_new_days_splits_and_dividends_are_requested(
        self, pipeline: Pipeline, after_the_split: dict[str, Any]
    ) -> None:
        """One range, one splits and one dividends request per ticker (a few tickers are asked
        one by one), no grouped day; the ranges start the day after the backfill's last bar."""
        n = len(tickers())
        spent = after_the_split["requests"]
        starts = await _fetch(
            pipeline,
            "select distinct (command->>'from')::date as d from control.batches"
            " where run_id = $1 and command->>'actions' is null and command is not null",
            after_the_split["run_id"],
        )

        assert (n, n, n, 0) == (
            spent.get("range", 0),
            spent.get("splits", 0),
            spent.get("dividends", 0),
            spent.get("grouped", 0),
        )
        assert [T1 + timedelta(days=1)] == [r["d"] for r in starts]

    async def test_adjusted_bars_equal_the_apis_adjusted_answer_at_the_new_date(
        self, pipeline: Pipeline, after_the_split: dict[str, Any]
    ) -> None:
        """Every bar stored at T1 was re-based by the later split, to the simulator's rounding,
        though raw still holds it as traded."""
        truth = _adjusted_truth(pipeline)
        rows = await _fetch(
            pipeline,
            "select ticker, trading_date, adj_open, adj_high, adj_low, adj_close"
            " from marts.fct_adjusted_bars where ticker = any($1)",
            tickers(),
        )

        off = [
            (r["ticker"], r["trading_date"], key)
            for r in rows
            for key, col in PRICES
            if abs(r[col] - truth[(r["ticker"], r["trading_date"])][key]) > SIM_ROUNDING
        ]  # fmt: skip
        assert (len(truth), []) == (len(rows), off)

    async def test_the_split_days_adjusted_return_is_the_as_traded_move(
        self, pipeline: Pipeline, after_the_split: dict[str, Any]
    ) -> None:
        """On each split's execution day the return is the price move net of the ratio, not
        a fake -50 % (2-for-1) or +900 % (1-for-10)."""
        ex = examples()
        for split in (ex.forward_split, ex.reverse_split):
            ticker, day = split["ticker"], date.fromisoformat(split["execution_date"])
            [r] = await _fetch(
                pipeline,
                "select r.simple_return, b.close_price,"
                " (select close from raw.stock_bars_daily p where p.ticker = r.ticker and"
                "  p.trading_date = r.previous_trading_date and not p.adjusted) as previous_close"
                " from marts.fct_daily_returns r join marts.fct_adjusted_bars b using (bar_id)"
                " where r.ticker = $1 and r.trading_date = $2",
                ticker,
                day,
            )
            ratio = split["split_from"] / split["split_to"]
            move = r["close_price"] / (r["previous_close"] * ratio) - 1

            assert math.isclose(move, r["simple_return"], rel_tol=1e-9, abs_tol=1e-12)
            assert abs(r["simple_return"]) < 0.3

    async def test_the_total_return_series_equals_an_independent_recomputation(
        self, pipeline: Pipeline, after_the_split: dict[str, Any]
    ) -> None:
        """tr_close = as-traded close x the ratios of later splits x (1 - cash / previous
        close) of later ex-dates, recomputed here from raw bars and the simulator's events."""
        names = tickers()
        splits = pipeline.events("splits", names, START, T2)
        dividends = pipeline.events("dividends", names, START, T2)
        raw = await _fetch(
            pipeline,
            "select ticker, trading_date, close from raw.stock_bars_daily"
            " where ticker = any($1) and not adjusted order by ticker, trading_date",
            names,
        )
        closes: dict[str, list[tuple[date, float]]] = {}
        for r in raw:
            closes.setdefault(r["ticker"], []).append((r["trading_date"], r["close"]))
        expected = {
            (t, d): c * _factor(t, d, splits, dividends, closes[t])
            for t, series in closes.items()
            for d, c in series
        }
        stored = await _fetch(
            pipeline,
            "select ticker, trading_date, tr_close from marts.fct_adjusted_bars"
            " where ticker = any($1)",
            names,
        )

        off = [
            (r["ticker"], r["trading_date"])
            for r in stored
            if not math.isclose(r["tr_close"], expected[(r["ticker"], r["trading_date"])],
                                rel_tol=1e-9)
        ]  # fmt: skip
        assert (len(expected), [], True) == (
            len(stored),
            off,
            any(d["ticker"] in names for d in dividends),
        )


def _factor(
    ticker: str,
    day: date,
    splits: list[dict[str, Any]],
    dividends: list[dict[str, Any]],
    closes: list[tuple[date, float]],
) -> float:
    factor = 1.0
    for s in splits:
        if s["ticker"] == ticker and date.fromisoformat(s["execution_date"]) > day:
            factor *= s["split_from"] / s["split_to"]
    for d in dividends:
        ex = date.fromisoformat(d["ex_dividend_date"])
        if d["ticker"] == ticker and ex > day:
            before = [c for when, c in closes if when < ex]
            factor *= 1 - d["cash_amount"] / before[-1]
    return factor
