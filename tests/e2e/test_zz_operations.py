"""Running unattended (issue #11), with real processes: two scheduler replicas on a fast cron
start each slot once, across a restart, and catch up the slots missed while down; every
replica's /metrics has non-zero counters after runs; a stale source raises an alert.

Named to run after the data tests (test_zz_data_quality) and before the secrets scan, which then
covers the scheduler's logs too."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.cli.processes import Replica
from services.scheduler.core import parse_schedule
from shared.db.control import FINAL_STATUSES, RunStatus
from shared.messages import SourceStale, topics
from testbed.kafka_tail import end_offsets, tail
from testbed.pipeline import Pipeline

pytestmark = pytest.mark.e2e
# Every 10 s, run ids by the second: a few minutes of schedule in well under one.
CRON, FORMAT, EVERY_S = "* * * * * */10", "sched-%H%M%S", 10
SCHEDULE = parse_schedule(CRON, "UTC", FORMAT, datetime.now(UTC))


def a_listed_ticker(p: Pipeline) -> str:
    """Scheduled runs stay small: one ticker of the simulated universe, incremental. (The
    simulator answers some requests with a 5xx on purpose: asked again then.)"""
    for _ in range(20):
        r = httpx.get(
            f"{p.sim_url}/v3/reference/tickers",
            params={"active": "true", "limit": 5},
            headers={"Authorization": f"Bearer {p.env['POLYGON_API_KEY']}"},
            timeout=30,
        )
        if r.status_code == 200:
            return str(r.json()["results"][0]["ticker"])
    r.raise_for_status()
    raise AssertionError(f"the simulator answered {r.status_code}")


def scheduler_env(p: Pipeline, catchup: int) -> dict[str, str]:
    return {
        **p.env,
        "SCHEDULE_CRON": CRON,
        "SCHEDULE_TZ": "UTC",
        "SCHEDULE_RUN_ID_FORMAT": FORMAT,
        "SCHEDULE_CATCHUP": str(catchup),
        "SCHEDULE_REQUEST": json.dumps({"tickers": [a_listed_ticker(p)], "batch_size": 8}),
        "SCHEDULE_POLL_S": "2",
    }


async def _sleep_past_slots(n: int) -> None:
    """Until n more slots have fired, and a second for the replicas to act."""
    now = datetime.now(UTC)
    target = SCHEDULE.next_slots(now, n)[-1].at
    await asyncio.sleep((target - now).total_seconds() + 1.5)


async def _ready(p: Pipeline, *replicas: Replica, timeout_s: float = 90) -> None:
    """Until each replica's /ready says its broker is connected (it checks the schedule at
    once after)."""
    deadline = time.monotonic() + timeout_s
    for r in replicas:
        url = p.metrics_url(r.service, r.index).replace("/metrics", "/ready")
        while True:
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"{r.name} not ready; see {p.supervisor.log(r)}"
            await asyncio.sleep(0.3)


def scrape(url: str) -> dict[str, float]:
    """Prometheus text as {'name{labels}': value}, samples only."""
    text = httpx.get(url, timeout=10).text
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


def total(samples: dict[str, float], metric: str) -> float:
    return sum(v for k, v in samples.items() if k == metric or k.startswith(metric + "{"))


@pytest.fixture(scope="module")
async def schedule_story(pipeline: Pipeline) -> AsyncIterator[dict[str, Any]]:
    """Two replicas for three slots, one of them SIGKILLed and restarted midway; both stopped
    for three slots; one started again with catch-up. What reached Kafka, and when."""
    one, two = Replica("scheduler", 1), Replica("scheduler", 2)
    mark = await end_offsets(pipeline.kafka, topics.RUN_REQUESTS)
    sup = pipeline.supervisor
    sup.start([one, two], scheduler_env(pipeline, catchup=0))
    await _ready(pipeline, one, two)
    await _sleep_past_slots(2)
    pipeline.kill(one)
    sup.start([one], scheduler_env(pipeline, catchup=0))
    await _ready(pipeline, one)
    await _sleep_past_slots(1)
    scheduler_metrics = scrape(pipeline.metrics_url("scheduler", 1))
    sup.stop([one.name, two.name])
    down_at = datetime.now(UTC)
    await _sleep_past_slots(3)
    up_at = datetime.now(UTC)
    sup.start([one], scheduler_env(pipeline, catchup=10))
    await _ready(pipeline, one)
    await asyncio.sleep(2)
    sup.stop([one.name])
    requested: list[str] = []
    async with tail(pipeline.kafka, topics.RUN_REQUESTS, start=mark) as t:
        try:
            while True:
                rec = await t.wait_for(lambda r: (r.key or b"").startswith(b"sched-"), 3)
                requested.append(json.loads(rec.value)["run_id"])
        except TimeoutError:
            pass
    conn = await pipeline.connect()
    try:
        slots = await conn.fetch(
            "select run_id, slot_at, claimed_at, claimed_by from control.schedule_slots"
            " order by slot_at"
        )
    finally:
        await conn.close()
    yield {
        "requested": requested,
        "slots": slots,
        "down_at": down_at,
        "up_at": up_at,
        "scheduler_metrics": scheduler_metrics,
    }


async def _wait_runs(p: Pipeline, run_ids: list[str], timeout_s: float) -> dict[str, str]:
    conn = await p.connect()
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            rows = await conn.fetch(
                "select run_id, status from control.runs where run_id = any($1)", run_ids
            )
            status = {r["run_id"]: r["status"] for r in rows}
            done = all(RunStatus(s) in FINAL_STATUSES for s in status.values())
            if (len(status) == len(run_ids) and done) or time.monotonic() > deadline:
                return status
            await asyncio.sleep(1)
    finally:
        await conn.close()


@pytest.fixture(scope="module")
async def scheduled_runs(pipeline: Pipeline, schedule_story: dict[str, Any]) -> dict[str, str]:
    """The status each slot's run ended with."""
    run_ids = [r["run_id"] for r in schedule_story["slots"]]
    return await _wait_runs(pipeline, run_ids, timeout_s=300)


class TestEachSlotOnce:
    async def test_each_slot_is_requested_exactly_once(
        self, schedule_story: dict[str, Any]
    ) -> None:
        """Two replicas checking every slot, one killed and restarted, then a catch-up: no run
        id twice on the run-requests topic, and as many as slots claimed."""
        requested = schedule_story["requested"]
        twice = sorted(r for r, n in Counter(requested).items() if n > 1)

        assert ([], len(schedule_story["slots"])) == (twice, len(requested))

    async def test_no_slot_is_missing_between_the_first_and_the_last(
        self, schedule_story: dict[str, Any]
    ) -> None:
        """Every 10 s slot from the first to the last was started, downtime included."""
        slots = schedule_story["slots"]
        first, last = slots[0]["slot_at"], slots[-1]["slot_at"]
        expected = [s.run_id for s in SCHEDULE.previous_slots(last, 1000) if s.at >= first]

        assert expected == [r["run_id"] for r in slots]
        assert len(slots) >= 6

    async def test_the_slots_missed_while_down_were_caught_up_after(
        self, schedule_story: dict[str, Any]
    ) -> None:
        """The slots that fired while no replica ran were claimed once one came back, in order."""
        down, up = schedule_story["down_at"], schedule_story["up_at"]
        missed = [r for r in schedule_story["slots"] if down < r["slot_at"] <= up]

        assert len(missed) >= 2
        assert all(r["claimed_at"] >= up - timedelta(seconds=1) for r in missed)
        assert sorted(r["claimed_at"] for r in missed) == [r["claimed_at"] for r in missed]

    async def test_both_replicas_took_part(self, schedule_story: dict[str, Any]) -> None:
        """The claims are shared out by the race, not by a leader: more than one process won."""
        assert len({r["claimed_by"] for r in schedule_story["slots"]}) >= 2

    async def test_each_requested_run_started_once_and_ends(
        self, schedule_story: dict[str, Any], scheduled_runs: dict[str, str]
    ) -> None:
        """The lister registered every slot's run; each ends (incremental, one ticker), and none
        is refused: a slot's `to` is its New York date, whatever the clock says in UTC."""
        run_ids = [r["run_id"] for r in schedule_story["slots"]]
        refused = (RunStatus.REJECTED, RunStatus.FAILED)

        assert sorted(run_ids) == sorted(scheduled_runs)
        assert [] == [r for r, s in scheduled_runs.items() if RunStatus(s) not in FINAL_STATUSES]
        assert {} == {r: s for r, s in scheduled_runs.items() if RunStatus(s) in refused}

    async def test_the_scheduler_counts_its_slots(self, schedule_story: dict[str, Any]) -> None:
        """Its /metrics answered while it ran, counting started and already-run slots."""
        m = schedule_story["scheduler_metrics"]

        assert total(m, "stocks_elt_scheduled_slots_total") > 0


# What each service's own counters must show after the runs above (summed over its replicas).
COUNTED = {
    "lister": ["stocks_elt_runs_total", "stocks_elt_api_requests_total"],
    "fetcher": ["stocks_elt_batches_fetched_total", "stocks_elt_api_requests_total"],
    "loader": ["stocks_elt_batches_loaded_total", "stocks_elt_bars_loaded_total"],
    "transformer": [
        "stocks_elt_runs_total",
        "stocks_elt_dbt_build_seconds_count",
        "stocks_elt_source_freshness_checks_total",
    ],
    "polygon_sim": ["stocks_elt_sim_requests_total"],
}
FASTSTREAM = "faststream_received_processed_messages_total"


@pytest.fixture(scope="module")
def scraped(pipeline: Pipeline, scheduled_runs: dict[str, str]) -> dict[str, dict[str, float]]:
    """Every running replica's /metrics once the scheduled runs ended."""
    names = [r.name for r in pipeline.started] + ["polygon_sim-1"]
    out = {}
    for name in names:
        service, index = name.rsplit("-", 1)
        out[name] = scrape(pipeline.metrics_url(service, int(index)))
    return out


class TestMetrics:
    @pytest.mark.parametrize("service", list(COUNTED))
    def test_each_service_counts_its_work(
        self, scraped: dict[str, dict[str, float]], service: str
    ) -> None:
        """Scraped from every replica: the service's own counters are above zero."""
        replicas = [m for name, m in scraped.items() if name.rsplit("-", 1)[0] == service]
        zero = [c for c in COUNTED[service] if sum(total(m, c) for m in replicas) <= 0]

        assert replicas
        assert [] == zero

    @pytest.mark.parametrize("service", ["lister", "fetcher", "loader", "transformer"])
    def test_faststream_counts_each_consumers_messages(
        self, scraped: dict[str, dict[str, float]], service: str
    ) -> None:
        """FastStream's middleware: messages processed by the service's handler."""
        replicas = [m for name, m in scraped.items() if name.rsplit("-", 1)[0] == service]

        assert sum(total(m, FASTSTREAM) for m in replicas) > 0

    def test_every_replica_answers_health(self, pipeline: Pipeline) -> None:
        """/health is 200 and ready on every replica, the simulator included."""
        names = [r.name for r in pipeline.started] + ["polygon_sim-1"]
        answers = {}
        for name in names:
            service, index = name.rsplit("-", 1)
            url = pipeline.metrics_url(service, int(index)).replace("/metrics", "/health")
            r = httpx.get(url, timeout=5)
            answers[name] = (r.status_code, r.json()["ready"])

        assert {n: (200, True) for n in names} == answers


@pytest.fixture(scope="module")
async def stale_run(pipeline: Pipeline, scraped: dict[str, dict[str, float]]) -> dict[str, Any]:
    """The bars were last loaded 10 days ago (error_after is 7): a run that loads no new bar,
    and the alerts that followed it.

    The run asks again for one day already stored, of a ticker that never split. An open-ended
    run would fetch whatever the simulator's clock has added since that ticker was loaded, and
    a split would rewrite its adjusted history: either makes the bars fresh again."""
    conn = await pipeline.connect()
    try:
        await conn.execute(
            "update raw.stock_bars_daily set loaded_at = loaded_at - interval '10 days'"
        )
        row = await conn.fetchrow(
            "select b.ticker, max(b.trading_date) as day from raw.stock_bars_daily b"
            " where not exists (select 1 from raw.stock_splits s where s.ticker = b.ticker)"
            " group by b.ticker order by b.ticker limit 1"
        )
        assert row is not None, "no bars of a ticker that never split"
        ticker, day = row["ticker"], row["day"]
    finally:
        await conn.close()
    mark = await end_offsets(pipeline.kafka, topics.ALERTS)
    run_id = await pipeline.request_run(tickers=[ticker], **{"from": day, "to": day})
    row = await pipeline.wait_finished(run_id)
    stale: list[SourceStale] = []
    async with tail(pipeline.kafka, topics.ALERTS, start=mark) as t:
        try:
            while True:
                rec = await t.wait_for(lambda r: b"/freshness/" in r.value, timeout_s=5)
                stale.append(SourceStale.model_validate_json(rec.value))
        except TimeoutError:
            pass
    return {"run_id": run_id, "row": row, "alerts": stale}


class TestFreshness:
    async def test_a_stale_source_raises_an_alert(self, stale_run: dict[str, Any]) -> None:
        """One SourceStale for the bars, status error, from the run that found it."""
        run_id = stale_run["run_id"]
        bars = [a for a in stale_run["alerts"] if a.source == "polygon.stock_bars_daily"]

        assert [(f"{run_id}/freshness/polygon.stock_bars_daily", run_id, "error")] == [
            (a.message_id, a.run_id, a.status) for a in bars
        ], stale_run["row"]["source_freshness"]
        assert (bars[0].age_s or 0) > 9 * 86400

    async def test_the_results_are_stored_with_the_run(self, stale_run: dict[str, Any]) -> None:
        """control.runs.source_freshness names each checked source with its status."""
        stored = json.loads(stale_run["row"]["source_freshness"])

        assert "error" == {r["source"]: r["status"] for r in stored}.get(
            "polygon.stock_bars_daily"
        ), stored

    async def test_fresh_sources_raised_nothing_before(
        self, pipeline: Pipeline, scheduled_runs: dict[str, str]
    ) -> None:
        """The scheduled runs, on freshly loaded bars, stored only passing checks."""
        conn = await pipeline.connect()
        try:
            rows = await conn.fetch(
                "select source_freshness from control.runs where run_id = any($1)",
                list(scheduled_runs),
            )
        finally:
            await conn.close()
        statuses = {r["status"] for row in rows for r in json.loads(row["source_freshness"])}

        assert {"pass"} == statuses
