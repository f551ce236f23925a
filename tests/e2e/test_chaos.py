"""Chaos: one 2,000-ticker run while the simulator injects faults and the stack breaks under it,
behind poison on every partition of every consumed topic.

On a second stack of its own (tests/support/second_stack.py), so that restarting Kafka, MinIO and
Postgres disturbs no other test. Faults, each once: Kafka restarted with one MinIO notification
dropped while it is down, MinIO restarted, Postgres restarted, the transformer SIGKILLed during
dbt, Postgres restarted again during the resumed build. Expected: the raw bars equal the
simulator's truth (none lost, none twice), one dbt build that counts (a build the database
restarted under is repeated), every event of the run delivered, the run succeeded; every
poison dead-lettered or skipped, nothing else dead-lettered. The figures are written to
$STOCKS_ELT_CHAOS_FIGURES (default: the test's tmp dir) and recorded as a junit property.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from shared.messages import RunEvent, topics
from shared.settings import PostgresAdminSettings
from testbed.pipeline import GROUPS, Pipeline, make_supervisor
from tests.support.second_stack import SecondStack, free_port, second_stack

from .chaos_faults import (
    TRANSFORMER,
    all_records,
    by_message_id,
    drop_one_notification,
    into_build,
    kill_during_dbt,
    lag,
    loaded,
    logged,
    logged_count,
    run_problems_and_outbox,
    run_records,
    until,
)
from .poison import Poison, publish_poison
from .warehouse import as_truth, raw_bars, run_tickers, sim_requests, truth_tuples

pytestmark = pytest.mark.e2e

RANGE = (date(2024, 1, 2), date(2024, 3, 28))
TICKERS, BATCH_SIZE = 2000, 50
API_KEY = "chaos-key"


@pytest.fixture(scope="module")
def stack() -> Iterator[SecondStack]:
    if os.environ.get("STOCKS_ELT_TESTCONTAINERS") == "1":
        pytest.skip("the chaos stack is a second native stack (deploy/local/stack), not containers")
    with second_stack() as s:
        yield s


@pytest.fixture(scope="module")
def chaos(stack: SecondStack) -> Iterator[Pipeline]:
    """The simulator with faults on, and every service as a real process, on the second stack."""
    sim_port = free_port()
    sim_url = f"http://127.0.0.1:{sim_port}"
    env = {
        **stack.env,
        "POLYGON_BASE_URL": sim_url,
        "POLYGON_API_KEY": API_KEY,
        # Slow enough for the faults to land mid-run: ~2,000 range requests take ~60 s.
        "POLYGON_RATE_LIMIT_PER_S": "40",
        "POLYGON_MAX_RETRY_S": "120",
        "FETCHER_CONCURRENCY": "4",
        "LISTER_HISTORY_START": RANGE[0].isoformat(),
        "TRANSFORMER_SWEEP_INTERVAL_S": "3",
        "TRANSFORMER_HEARTBEAT_S": "2",
        "TRANSFORMER_STALE_AFTER_S": "10",
        "TRANSFORMER_RECONCILE_AFTER_S": "15",
    }
    admin = PostgresAdminSettings()
    p = Pipeline(
        stack.postgres,
        admin.password.get_secret_value(),
        stack.kafka,
        sim_url,
        make_supervisor(stack.state_dir),
        env,
    )
    try:
        p.start_simulator(
            {
                "SIM_PORT": str(sim_port),
                "SIM_SEED": "13",
                "SIM_UNIVERSE_SIZE": str(TICKERS + 200),
                "SIM_HISTORY_START": "2023-01-03",
                "SIM_HISTORY_END": RANGE[1].isoformat(),
                "SIM_API_KEYS": f'["{API_KEY}"]',
                # Transient faults only: every one must be absorbed without losing a bar.
                "SIM_LATENCY_MEAN_MS": "20",
                "SIM_LATENCY_JITTER_MS": "15",
                "SIM_ERROR_5XX_SHARE": "0.05",
                "SIM_DELAYED_SHARE": "0.02",
                # 35 a second per key against the fetchers' 40: some answers are 429s.
                "SIM_RATE_LIMIT_REQUESTS": "35",
                "SIM_RATE_LIMIT_WINDOW_S": "1",
            }
        )
        p.start({"lister": 1, "fetcher": 2, "loader": 2, "transformer": 1})
        yield p
    finally:
        p.stop()


@pytest.fixture(scope="module")
async def poisoned(chaos: Pipeline, stack: SecondStack) -> list[Poison]:
    """Poison on every partition of every consumed topic, before the run."""
    return await publish_poison(stack.kafka, stack.minio.bucket, int(stack.env["KAFKA_PARTITIONS"]))


@pytest.fixture(scope="module")
async def chaos_run(chaos: Pipeline, stack: SecondStack, poisoned: list[Poison]) -> dict[str, Any]:
    """The run, with every fault injected once at its point; what it left behind."""
    began = time.monotonic()
    run_id = await chaos.request_run(
        **{"from": RANGE[0], "to": RANGE[1]},
        max_tickers=TICKERS,
        batch_size=BATCH_SIZE,
        plan="per_ticker",
    )
    await until(lambda: loaded(chaos, run_id), at_least=3)
    dropped: list[str] = []
    await asyncio.to_thread(
        stack.restart,
        "kafka",
        5.0,
        lambda: dropped.append(drop_one_notification(stack.minio_queue())),
    )
    await until(lambda: loaded(chaos, run_id), at_least=15)
    await asyncio.to_thread(stack.restart, "minio")
    await until(lambda: loaded(chaos, run_id), at_least=25)
    await asyncio.to_thread(stack.restart, "postgres")
    killed = await kill_during_dbt(chaos, run_id)
    chaos.restart(TRANSFORMER)
    # The resumed build loses its database: built again, still one run's worth of dbt. Half a
    # second into the build (the worker started with the service): the resumed build is
    # incremental over what the killed one committed, and on a quick machine it ended within
    # three seconds of its worker's start (CI, 2026-11-28)
    await into_build(chaos, run_id, 2, into_s=0.5)
    await asyncio.to_thread(stack.restart, "postgres")
    row = await chaos.wait_finished(run_id, timeout_s=300)
    return {
        "run_id": run_id,
        "row": row,
        "took_s": round(time.monotonic() - began, 1),
        "dropped": dropped,
        "killed": killed,
    }


class TestChaos:
    async def test_a_run_through_restarts_a_dropped_notification_and_a_killed_dbt(
        self,
        chaos: Pipeline,
        stack: SecondStack,
        chaos_run: dict[str, Any],
        tmp_path: Path,
        record_property: Callable[[str, object], None],
    ) -> None:
        """Every bar equals the truth, dbt finished once, every event arrived, status right."""
        run_id, row = chaos_run["run_id"], chaos_run["row"]
        tickers = await run_tickers(chaos, run_id)
        truth = truth_tuples(chaos.truth(tickers, *RANGE))
        bars = as_truth(await raw_bars(chaos, *RANGE))
        sent = await run_records(chaos.kafka, topics.RUN_EVENTS, run_id)
        events = by_message_id(sent)
        alerts = sorted(by_message_id(await run_records(chaos.kafka, topics.ALERTS, run_id)))
        problems, unpublished = await run_problems_and_outbox(chaos, run_id)
        log = chaos.supervisor.log(TRANSFORMER).read_text(errors="replace")
        kinds = Counter(RunEvent.model_validate_json(e).kind.value for e in events.values())
        figures = {
            "tickers": len(tickers),
            "restarts_s": stack.restarts,
            "notification_dropped": chaos_run["dropped"],
            "reannounced": sorted(e["batch_id"] for e in logged(log, "object_reannounced", run_id)),
            "transformer_killed_s_into_transforming": chaos_run["killed"],
            "dbt_builds_finished": logged_count(log, "dbt_built", run_id),
            # Builds the database restarted under, repeated (0 if dbt was between queries).
            "dbt_builds_repeated": logged_count(log, "dbt_build_repeated", run_id),
            # A build announces itself before dbt starts: the killed one did, then the resumed.
            "dbt_builds_started": sum(
                RunEvent.model_validate_json(r).kind.value == "transforming" for r in sent
            ),
            # Answered (5xx and 429 answers not counted), per kind.
            "api_requests": await sim_requests(chaos),
            "bars_truth": sum(map(len, truth.values())),
            "bars_raw": sum(map(len, bars.values())),
            "events": dict(kinds),
            "alerts": len(alerts),
            "run_s": chaos_run["took_s"],
            "status": row["status"],
        }
        record_property("chaos_figures", json.dumps(figures))
        out = Path(os.environ.get("STOCKS_ELT_CHAOS_FIGURES", tmp_path / "chaos-figures.json"))
        out.write_text(json.dumps(figures, indent=2, default=str))

        assert TICKERS == len(tickers)
        # No request paid twice: a restart is waited out, a stored batch is never fetched again.
        assert TICKERS == figures["api_requests"]["range"]
        assert figures["bars_truth"] == figures["bars_raw"]
        assert truth == bars
        assert 1 == len(chaos_run["dropped"])
        assert chaos_run["dropped"][0] in figures["reannounced"]
        # One build that counts: the repeated ones failed for the restart alone.
        assert 1 + figures["dbt_builds_repeated"] == figures["dbt_builds_finished"]
        expected = {"listed": 1, "progress": row["total_batches"], "transforming": 1, "finished": 1}
        assert expected == kinds
        assert "succeeded" == row["status"]
        assert row["status"] == RunEvent.model_validate_json(events[f"{run_id}/finished"]).status
        assert sorted(problems) == alerts
        assert 0 == unpublished


class TestPoisonFirst:
    async def test_poison_on_every_partition_never_holds_the_run_behind_it(
        self, chaos: Pipeline, poisoned: list[Poison], chaos_run: dict[str, Any]
    ) -> None:
        """The run behind the poison succeeded; every consumer group got past everything; the
        dead-letter topics hold all the unreadable poison and nothing but poison."""
        lags = {g: await lag(chaos.kafka, g, topic) for g, topic in GROUPS.items()}
        dead = {t: Counter(await all_records(chaos.kafka, topics.dlq(t))) for t in topics.CONSUMED}
        must = {
            t: Counter(p.body for p in poisoned if p.topic == t and p.must_dead_letter)
            for t in topics.CONSUMED
        }
        may = {t: Counter(p.body for p in poisoned if p.topic == t) for t in topics.CONSUMED}

        assert "succeeded" == chaos_run["row"]["status"]
        assert dict.fromkeys(GROUPS, 0) == lags
        for t in topics.CONSUMED:
            assert must[t] <= dead[t], t
            assert dead[t] <= may[t], t
