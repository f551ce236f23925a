"""Data quality through the real pipeline: a bad bar in raw makes the next run's dbt tests fail;
the run says which, stores every test's result, and announces the failures on the alerts topic.

Named to run last: the e2e tests share one database, and the bad bar fails every build while it
is there. The fixture deletes it (and what dbt built from it) whatever happens.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest

from shared.messages import DataTestFailed, topics
from testbed.kafka_tail import end_offsets, tail
from testbed.pipeline import Pipeline

pytestmark = pytest.mark.e2e

BAD_TICKER = "ZZBAD"  # not in the simulated universe: no run loads or overwrites it
BAD_DAY = date(2024, 3, 4)  # a trading day the run below loads, so the calendar holds it
RUN_RANGE = (date(2024, 3, 1), date(2024, 3, 8))
OHLC = "stg_polygon__stock_bars_daily_ohlc_consistent"
# dbt's tables that keep what they merged, by ticker
_BUILT = """select c.table_schema || '.' || c.table_name from information_schema.columns c
            join information_schema.tables t using (table_schema, table_name)
            where c.table_schema in ('intermediate', 'marts') and c.column_name = 'ticker'
              and t.table_type = 'BASE TABLE'"""

_INSERT_BAD_BAR = """
insert into raw.stock_bars_daily (ticker, trading_date, adjusted, open, high, low, close, volume,
                                  bar_ts_ms, source, run_id, object_key)
values ($1, $2, false, 100.0, 95.0, 105.0, 100.0, 10.0, 1709528400000, 'aggs_range',
        'e2e-data-quality', 'raw/polygon/e2e-data-quality/ZZBAD.jsonl')
"""


def short_name(unique_id: str) -> str:
    """dbt's unique_id is <type>.<project>.<name>[.<hash>]."""
    return unique_id.split(".")[2]


async def _remove_bad_bar(p: Pipeline) -> None:
    conn = await p.connect()
    try:
        await conn.execute("delete from raw.stock_bars_daily where ticker = $1", BAD_TICKER)
        for table in [r[0] for r in await conn.fetch(_BUILT)]:  # incremental models keep rows
            await conn.execute(f"delete from {table} where ticker = $1", BAD_TICKER)
    finally:
        await conn.close()


async def _alerts(p: Pipeline, mark: Any, run_id: str) -> list[DataTestFailed]:
    """The run's alerts from `mark` on: until the OHLC test's and a quiet second after it."""
    found: list[DataTestFailed] = []
    async with tail(p.kafka, topics.ALERTS, start=mark) as t:
        try:
            while True:
                timeout = 1 if any(short_name(a.unique_id) == OHLC for a in found) else 30
                rec = await t.wait_for(lambda r: r.key == run_id.encode(), timeout_s=timeout)
                if b'"unique_id"' in rec.value:  # a test's alert, not a stale source's
                    found.append(DataTestFailed.model_validate_json(rec.value))
        except TimeoutError:
            pass
    return found


@pytest.fixture(scope="module")
async def bad_bar_run(pipeline: Pipeline) -> AsyncIterator[dict[str, Any]]:
    """A raw bar with high < low, then a small run; the bar is removed afterwards."""
    conn = await pipeline.connect()
    try:
        await conn.execute(_INSERT_BAD_BAR, BAD_TICKER, BAD_DAY)
    finally:
        await conn.close()
    try:
        mark = await end_offsets(pipeline.kafka, topics.ALERTS)
        run_id = await pipeline.request_run(
            **{"from": RUN_RANGE[0], "to": RUN_RANGE[1]}, tickers=["BRK.A"]
        )
        row = await pipeline.wait_finished(run_id)
        conn = await pipeline.connect()
        try:
            results = await conn.fetch(
                "select unique_id, status, failures, message, new_failures, known_failures"
                " from control.run_test_results where run_id = $1",
                run_id,
            )
        finally:
            await conn.close()
        alerts = await _alerts(pipeline, mark, run_id)
        yield {"run_id": run_id, "row": row, "results": results, "alerts": alerts}
    finally:
        await _remove_bad_bar(pipeline)
        conn = await pipeline.connect()
        try:
            left = await conn.fetchval(
                "select count(*) from raw.stock_bars_daily where ticker = $1", BAD_TICKER
            )
        finally:
            await conn.close()
        assert 0 == left, "the bad bar is still in raw: later runs' tests will fail"


class TestABadBarFailsTheRunsTests:
    async def test_the_run_ends_with_errors_naming_the_failed_test(
        self, bad_bar_run: dict[str, Any]
    ) -> None:
        """succeeded_with_errors, and the reason names the OHLC test."""
        row = bad_bar_run["row"]

        assert "succeeded_with_errors" == row["status"], row["reason"]
        assert OHLC in row["reason"]

    async def test_every_test_of_the_build_is_stored_for_the_run(
        self, bad_bar_run: dict[str, Any]
    ) -> None:
        """control.run_test_results holds the failed test with its one failing row, and the
        tests that passed."""
        by_name = {short_name(r["unique_id"]): r for r in bad_bar_run["results"]}

        assert ("fail", 1) == (by_name[OHLC]["status"], by_name[OHLC]["failures"])
        assert "pass" in {r["status"] for r in bad_bar_run["results"]}

    async def test_each_failed_or_warned_test_is_alerted(self, bad_bar_run: dict[str, Any]) -> None:
        """One DataTestFailed per failed or warned test with a failure new since the previous
        build (the bad bar's), keyed by run, ids `<run>/<test>`; exactly those stored
        non-passing tests (a test failing as in the previous build raises none)."""
        run_id, alerts = bad_bar_run["run_id"], bad_bar_run["alerts"]
        with_new = {
            r["unique_id"]: r["status"]
            for r in bad_bar_run["results"]
            if r["status"] in ("fail", "error", "warn") and r["new_failures"]
        }
        by_name = {short_name(a.unique_id): a for a in alerts}

        assert with_new == {a.unique_id: a.status for a in alerts}
        assert ("fail", "error", 1, 1) == (
            by_name[OHLC].status,
            by_name[OHLC].severity,
            by_name[OHLC].failures,
            by_name[OHLC].new_failures,
        )
        assert {f"{run_id}/{a.unique_id}" for a in alerts} == {a.message_id for a in alerts}
