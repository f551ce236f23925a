"""Incremental runs and the grouped-daily fast path, through every service as a real process."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from testbed.pipeline import Pipeline

from .conftest import malformed_ticker
from .warehouse import as_truth, raw_bars, run_tickers, sim_requests, truth_tuples

pytestmark = pytest.mark.e2e
JULY = (date(2024, 7, 1), date(2024, 7, 5))  # 4 sessions: the 4th is a holiday


async def _planned(p: Pipeline, run_id: str) -> tuple[int, int]:
    """(range tickers, grouped days) the run planned, from its stored commands."""
    conn = await p.connect()
    try:
        row = await conn.fetchrow(
            """
            select coalesce(sum(jsonb_array_length(command->'tickers'))
                            filter (where command->'days' = 'null'::jsonb), 0) as ranges,
                   coalesce(sum(jsonb_array_length(command->'days'))
                            filter (where command->'days' <> 'null'::jsonb), 0) as days
            from control.batches where run_id = $1 and command is not null
            """,
            run_id,
        )
        assert row is not None
        return int(row["ranges"]), int(row["days"])
    finally:
        await conn.close()


class TestIncrementalRun:
    async def test_after_a_backfill_only_the_new_days_are_fetched(
        self, pipeline: Pipeline, first_run: dict[str, object]
    ) -> None:
        """No dates: each ticker from the day after its last bar, by the cheapest requests;
        the ticker never loaded (the malformed one) is fetched by range from history start."""
        before = await sim_requests(pipeline)

        run_id = await pipeline.request_run(to=JULY[1])
        row = await pipeline.wait_finished(run_id)
        after = await sim_requests(pipeline)

        ranges, days = await _planned(pipeline, run_id)
        assert ("mixed", 1, 4) == (row["plan"], ranges, days)
        assert 4 == after["grouped"] - before["grouped"]
        assert 1 == after["range"] - before["range"]
        assert "succeeded_with_errors" == row["status"]

    async def test_the_new_days_equal_the_truth(
        self, pipeline: Pipeline, first_run: dict[str, str]
    ) -> None:
        """The grouped days loaded every listed ticker's bars, value for value."""
        tickers = [
            t for t in await run_tickers(pipeline, first_run["run_id"]) if t != malformed_ticker()
        ]
        truth = truth_tuples(pipeline.truth(tickers, *JULY))

        loaded = {
            t: b for t, b in as_truth(await raw_bars(pipeline, *JULY)).items() if t in tickers
        }

        assert truth == loaded

    async def test_a_second_incremental_run_fetches_no_day_again(self, pipeline: Pipeline) -> None:
        """Every ticker is up to date but the one whose range answers are broken: it never got a
        bar (the grouped days leave range tickers to their ranges), so it alone is asked again."""
        before = await sim_requests(pipeline)

        row = await pipeline.wait_finished(await pipeline.request_run(to=JULY[1]))
        after = await sim_requests(pipeline)

        assert (0, 1) == (after["grouped"] - before["grouped"], after["range"] - before["range"])
        assert ("per_ticker", "succeeded_with_errors") == (row["plan"], row["status"])

    async def test_an_up_to_date_run_has_no_batch_and_still_completes(
        self, pipeline: Pipeline
    ) -> None:
        """No bar to fetch, and the splits and dividends read through this end minutes ago by
        the run before (LISTER_CORPORATE_ACTIONS_FRESH_HOURS): the run is its ticker listing
        alone, and it ends like any other."""
        before = await sim_requests(pipeline)

        row = await pipeline.wait_finished(
            await pipeline.request_run(to=JULY[1], tickers=["BRK.A", "KIMpL"])
        )
        after = await sim_requests(pipeline)

        # the listing only: no bar, no corporate action to read again
        assert ("up_to_date", "succeeded", 1) == (row["plan"], row["status"], row["total_batches"])
        assert (0, 0) == (after["grouped"] - before["grouped"], after["range"] - before["range"])


async def _bars_of(p: Pipeline, tickers: list[str], span: tuple[date, date]) -> list[Any]:
    return [r for r in await raw_bars(p, *span) if r["ticker"] in tickers]


class TestGroupedAndPerTickerAgree:
    async def test_both_paths_load_identical_bars(self, pipeline: Pipeline) -> None:
        """Grouped daily then per ticker over the same range: the second run changes no row."""
        august = (date(2024, 8, 1), date(2024, 8, 30))
        tickers = ["BRK.A", "BRK.B", "KIMpL"]
        grouped = await pipeline.request_run(
            **{"from": august[0], "to": august[1]}, tickers=tickers, plan="grouped_daily"
        )
        assert "grouped_daily" == (await pipeline.wait_finished(grouped))["plan"]
        after_grouped = await _bars_of(pipeline, tickers, august)

        ranged = await pipeline.request_run(
            **{"from": august[0], "to": august[1]}, tickers=tickers, plan="per_ticker"
        )
        row = await pipeline.wait_finished(ranged)

        assert ("per_ticker", "succeeded") == (row["plan"], row["status"])
        assert after_grouped == await _bars_of(pipeline, tickers, august)
        assert {"grouped_daily"} == {r["source"] for r in after_grouped}
        assert truth_tuples(pipeline.truth(tickers, *august)) == as_truth(after_grouped)
