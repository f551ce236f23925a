"""What a user sees (issue #16), every service a real process: a request refused by the lister
is a `rejected` run with its reason in `stocks-elt status`; a ticker that does not exist ends the
run `succeeded_with_errors`, named; a run of three named tickers costs at most 4 API requests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import date
from typing import Any

import pytest

from services.polygon_sim.market.market import Market
from shared.messages import topics
from testbed.pipeline import REPO, Pipeline

from .conftest import H1, HISTORY, SEED, UNIVERSE, malformed_ticker
from .warehouse import sim_requests

pytestmark = pytest.mark.e2e


def status(p: Pipeline, *args: str) -> subprocess.CompletedProcess[str]:
    """`stocks-elt status ...` in an 80-column terminal, on the e2e warehouse."""
    env = {**os.environ, **p.env, "COLUMNS": "80", "TERM": "dumb"}
    command = [sys.executable, "-c", "from services.cli.main import main; main()", "status", *args]
    return subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=60)


def plain_tickers(n: int) -> list[str]:
    """`n` listed, never-delisted ordinary tickers the simulator answers well."""
    market = Market(SEED, UNIVERSE, *HISTORY)
    plain = [
        x.ticker
        for x in market.tickers()
        if not x.delisted and x.ticker.isalpha() and x.ticker.isupper()
    ]
    return [t for t in plain if t != malformed_ticker()][:n]


async def _errors(p: Pipeline, run_id: str) -> list[tuple[str, str]]:
    conn = await p.connect()
    try:
        rows = await conn.fetch(
            "select ticker, kind from control.ticker_errors where run_id = $1 order by ticker",
            run_id,
        )
        return [(r["ticker"], r["kind"]) for r in rows]
    finally:
        await conn.close()


class TestRejectedRequest:
    @pytest.mark.parametrize(
        ("body", "reason"),
        [
            ({"from": "2024-03-01", "to": "2024-01-01", "tickers": ["AAPL"]}, "is after to"),
            ({"from": "2024-01-02", "to": "2024-01-31", "tickers": ["BRK-B"]}, ": BRK.B?"),
        ],
    )
    async def test_is_a_rejected_run_with_its_reason_in_status(
        self, pipeline: Pipeline, body: dict[str, Any], reason: str
    ) -> None:
        """Published as kcat would (no CLI to refuse it): the lister records the run as
        rejected with why, and `status` shows both, in the list and for the run."""
        run_id = f"e2e-rejected-{time.monotonic_ns()}"
        await pipeline.publish_raw(
            topics.RUN_REQUESTS, json.dumps({"run_id": run_id, **body}).encode()
        )

        row = await pipeline.wait_finished(run_id, timeout_s=60)
        listed = status(pipeline)
        one = status(pipeline, run_id)

        assert "rejected" == row["status"]
        assert reason in row["reason"]
        line = next(x for x in listed.stdout.splitlines() if x.startswith(run_id))
        assert "rejected" in line
        assert reason in " ".join(listed.stdout.split())
        assert reason in " ".join(one.stdout.split())


class TestUnknownTicker:
    async def test_ends_succeeded_with_errors_naming_it(
        self, pipeline: Pipeline, first_run: dict[str, Any]
    ) -> None:
        """A name Polygon does not know is recorded as not_found, costs no range request, and
        the run ends with errors; `status` names the ticker."""
        known = plain_tickers(1)
        before = await sim_requests(pipeline)

        run_id = await pipeline.request_run(
            **{"from": date(2024, 3, 1), "to": date(2024, 3, 28)}, tickers=[*known, "NOSUCHTKR"]
        )
        row = await pipeline.wait_finished(run_id)
        after = await sim_requests(pipeline)
        listed = " ".join(status(pipeline).stdout.split())
        one = " ".join(status(pipeline, run_id).stdout.split())

        assert "succeeded_with_errors" == row["status"], row["reason"]
        assert [("NOSUCHTKR", "not_found")] == await _errors(pipeline, run_id)
        assert 1 == after["range"] - before["range"]
        assert "NOSUCHTKR (not_found)" in listed
        assert "NOSUCHTKR not_found" in one


class TestRequestsForNamedTickers:
    async def test_three_tickers_cost_at_most_four_requests(
        self, pipeline: Pipeline, first_run: dict[str, Any]
    ) -> None:
        """Three known tickers over the first run's span: one range request each, no listing
        (their reference rows are stored), no corporate-action read (the first run read them
        through this end minutes ago). Counted at the simulator. dbt's progress was kept."""
        before = await sim_requests(pipeline)

        run_id = await pipeline.request_run(
            **{"from": H1[0], "to": H1[1]}, tickers=plain_tickers(3)
        )
        row = await pipeline.wait_finished(run_id)
        after = await sim_requests(pipeline)
        spent = {k: after[k] - before[k] for k in after}

        progress = json.loads(row["dbt_progress"])
        assert "succeeded" == row["status"], row["reason"]
        assert (3, 0) == (spent["range"], spent["tickers"])
        assert sum(spent.values()) <= 4, spent
        # --wait read dbt's nodes done out of total while it built; the last count is all
        assert 0 < progress["total"] == progress["done"]
