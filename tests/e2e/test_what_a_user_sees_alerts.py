"""Alerts that mean something (issue #16), every service a real process: a data test alerts on
failures new since the previous build, so a second identical run raises no repeated alert; an
exception acknowledged with `stocks-elt ack` (who, why) stops alerting; `status RUN_ID` shows
new against known against acknowledged. Counted on the alerts topic.

Gaps come from tickers of our own in raw (not in the simulated universe, so no run touches
them), removed afterwards with what dbt built from them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest

from services.polygon_sim.market.market import Market
from shared.messages import DataTestFailed, topics
from testbed.kafka_tail import end_offsets, tail
from testbed.pipeline import REPO, Pipeline

from .conftest import HISTORY, SEED, T1, UNIVERSE
from .test_what_a_user_sees import plain_tickers, status

pytestmark = pytest.mark.e2e

RANGE = (date(2024, 3, 1), date(2024, 3, 28))
MAX_DAYS = "int_stock_bars_adjusted_max_days_between_bars"
NO_MISSING = "int_stock_bars_adjusted_no_missing_trading_days"
GAPPY, ACCEPTED = "ZZGAP", "ZZACK"  # thin tickers of our own: two sessions, three weeks, two
_INSERT_BAR = """
insert into raw.stock_bars_daily (ticker, trading_date, adjusted, open, high, low, close, volume,
                                  bar_ts_ms, source, run_id, object_key)
values ($1, $2, false, 10.0, 11.0, 9.0, 10.5, 100.0, $3, 'aggs_range', 'e2e-alerts',
        'raw/polygon/e2e-alerts/' || $1 || '.jsonl')
"""
# dbt's tables that keep what they merged, by ticker
_BUILT = """select c.table_schema || '.' || c.table_name from information_schema.columns c
            join information_schema.tables t using (table_schema, table_name)
            where c.table_schema in ('intermediate', 'marts') and c.column_name = 'ticker'
              and t.table_type = 'BASE TABLE'"""


def cli(p: Pipeline, *args: str) -> subprocess.CompletedProcess[str]:
    """`stocks-elt ...` on the e2e warehouse."""
    env = {**os.environ, **p.env, "COLUMNS": "80", "TERM": "dumb"}
    command = [sys.executable, "-c", "from services.cli.main import main; main()", *args]
    return subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=60)


async def add_thin_ticker(p: Pipeline, ticker: str) -> None:
    """Bars on the range's first two and last two sessions: a gap of three weeks."""
    sessions = Market(SEED, UNIVERSE, *HISTORY).sessions(*RANGE, today=T1)
    conn = await p.connect()
    try:
        for day in [*sessions[:2], *sessions[-2:]]:
            at = datetime.combine(day, time(5), tzinfo=UTC)
            await conn.execute(_INSERT_BAR, ticker, day, int(at.timestamp() * 1000))
    finally:
        await conn.close()


async def remove_tickers(p: Pipeline, tickers: list[str]) -> None:
    conn = await p.connect()
    try:
        await conn.execute("delete from raw.stock_bars_daily where ticker = any($1)", tickers)
        for table in [r[0] for r in await conn.fetch(_BUILT)]:  # incremental models keep rows
            await conn.execute(f"delete from {table} where ticker = any($1)", tickers)
        await conn.execute(
            "delete from control.acknowledged_failures where failure_key = any($1)", tickers
        )
    finally:
        await conn.close()


async def run_and_alerts(p: Pipeline, tickers: list[str]) -> dict[str, Any]:
    """One run of `tickers` over RANGE; the tests' alerts it raised and its stored results."""
    mark = await end_offsets(p.kafka, topics.ALERTS)
    run_id = await p.request_run(**{"from": RANGE[0], "to": RANGE[1]}, tickers=tickers)
    row = await p.wait_finished(run_id)
    found: list[DataTestFailed] = []
    async with tail(p.kafka, topics.ALERTS, start=mark) as t:
        try:  # relayed right after the run's end: a quiet 5 s after it is the end of them
            while True:
                rec = await t.wait_for(lambda r: r.key == run_id.encode(), timeout_s=5)
                if b'"unique_id"' in rec.value:  # a test's alert, not a stale source's
                    found.append(DataTestFailed.model_validate_json(rec.value))
        except TimeoutError:
            pass
    conn = await p.connect()
    try:
        results = await conn.fetch(
            "select unique_id, status, new_failures, known_failures, acknowledged_failures"
            " from control.run_test_results where run_id = $1 and status <> 'pass'",
            run_id,
        )
    finally:
        await conn.close()
    by_name = {r["unique_id"].split(".")[2]: dict(r) for r in results}
    return {"run_id": run_id, "row": row, "alerts": found, "results": by_name}


@pytest.fixture(scope="module")
async def runs(pipeline: Pipeline) -> AsyncIterator[dict[str, Any]]:
    """A thin ticker appears, then two identical runs; then another thin ticker, acknowledged
    before a third identical run. The thin tickers are removed afterwards."""
    tickers = plain_tickers(2)
    try:
        await add_thin_ticker(pipeline, GAPPY)
        first = await run_and_alerts(pipeline, tickers)
        second = await run_and_alerts(pipeline, tickers)
        await add_thin_ticker(pipeline, ACCEPTED)
        acks = [
            cli(pipeline, "ack", "add", test, ACCEPTED, "--by", "e2e", "--why", "thinly traded")
            for test in (MAX_DAYS, NO_MISSING)
        ]
        third = await run_and_alerts(pipeline, tickers)
        yield {"first": first, "second": second, "third": third, "acks": acks}
    finally:
        await remove_tickers(pipeline, [GAPPY, ACCEPTED])


class TestRepeatedAlerts:
    async def test_a_second_identical_run_raises_no_repeated_alert(
        self, runs: dict[str, Any], tmp_path: Path
    ) -> None:
        """The first run alerts the thin ticker's gap (new); the same run again raises no test
        alert at all, its failures counted as known. The figures go to a JSON file."""
        first, second = runs["first"], runs["second"]
        figures = {
            name: {
                "alerts": sorted(a.unique_id.split(".")[2] for a in runs[name]["alerts"]),
                "tests_not_passed": runs[name]["results"],
            }
            for name in ("first", "second", "third")
        }
        out = Path(os.environ.get("STOCKS_ELT_ALERT_FIGURES", tmp_path / "alert-figures.json"))
        out.write_text(json.dumps(figures, indent=2, default=str))
        gaps = {a.unique_id.split(".")[2]: a for a in first["alerts"]}

        assert MAX_DAYS in gaps and (gaps[MAX_DAYS].new_failures or 0) >= 1
        assert [] == [a.unique_id for a in second["alerts"]]
        assert 0 == second["results"][MAX_DAYS]["new_failures"]
        assert second["results"][MAX_DAYS]["known_failures"] >= 1

    async def test_status_shows_new_against_known(
        self, pipeline: Pipeline, runs: dict[str, Any]
    ) -> None:
        """`status RUN_ID` of the second run: the gap test's failures are known, no alert."""
        shown = " ".join(status(pipeline, runs["second"]["run_id"]).stdout.split())

        assert f"{MAX_DAYS} (" in shown
        assert "0 new, " in shown and " known, " in shown and "(no alert)" in shown


class TestAcknowledged:
    async def test_an_acknowledged_exception_stops_alerting(
        self, pipeline: Pipeline, runs: dict[str, Any]
    ) -> None:
        """A new thin ticker, acknowledged for both gap tests (who, why) before the run: no test
        alert; its failures counted as acknowledged; `status` shows them."""
        third = runs["third"]
        shown = " ".join(status(pipeline, third["run_id"]).stdout.split())
        listed = " ".join(cli(pipeline, "ack", "list").stdout.split())

        assert [0, 0] == [a.returncode for a in runs["acks"]]
        assert [] == [a.unique_id for a in third["alerts"]]
        assert third["results"][MAX_DAYS]["acknowledged_failures"] >= 1
        assert "acknowledged (no alert)" in shown
        assert f"{MAX_DAYS} {ACCEPTED} by e2e at " in listed and "UTC: thinly traded" in listed
