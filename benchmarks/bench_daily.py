"""Benchmark of day two: a whole-market backfill of N years, then the simulator's clock moves one
trading day forward and the daily incremental run (a request without "from") is timed.

    .venv/bin/python benchmarks/bench_daily.py --history-years 1 [--tickers 10000]
        [--latency-ms 20] [--fetchers 2] [--loaders 2] [--days-per-batch 20] [--age-hours 24]

Needs the native stack. Starts the simulator (its clock at the backfill's last day) and every
service on a database and bucket of their own; backfills by grouped daily; moves the clock with
POST /_sim/clock; ages the warehouse's load times by --age-hours (the day between the two runs,
not waited) and rebuilds int_adjustment_factors on the aged events (its fingerprints hash their
load times); runs the daily request. Prints both runs' figures (end to end, dbt, ingest,
the loader next to a plain COPY, API requests, bars, the CPU seconds each process spent), each
service's peak RSS and, for each of the daily run's objects, how long MinIO's event took to
reach Kafka; and ends with one JSON line: the daily run's figures, plus the backfill's under
"backfill". Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.cpu import CpuSpan, stack_pids
from benchmarks.support import (
    age_warehouse,
    batch_timeline,
    dbt_breakdown,
    loader_lines,
    loader_rows_per_s,
    loaders_together_rows_per_s,
    notification_delays,
    peak_rss_by_kind,
    plain_copy_rows_per_s,
    refingerprint_factors,
    stage_times,
    wait_until_alone,
)
from services.cli.processes import Replica
from shared.market_calendar import nyse_sessions
from shared.messages import topics
from shared.messages.raw_objects import run_prefix
from shared.settings import MinioSettings
from testbed.kafka_tail import end_offsets, records_since
from testbed.pipeline import Pipeline, running_pipeline

END = date(2024, 12, 31)


# a loader's lines for each object of the daily run: when it loaded it, and in how long
LOAD_EVENTS = ("object_loaded", "corporate_actions_loaded")
LOAD_FIELDS = ("timestamp", "batch_id", "kind", "rows", "rejected", "duration_s")


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--history-years", type=float, default=1)
    p.add_argument("--tickers", type=int, default=10_000, help="the simulated universe")
    p.add_argument("--latency-ms", type=float, default=20)
    p.add_argument("--fetchers", type=int, default=2)
    p.add_argument("--loaders", type=int, default=2)
    p.add_argument("--days-per-batch", type=int, default=20, help="LISTER_DAYS_PER_BATCH")
    p.add_argument("--rate-limit", type=float, default=1000, help="API requests/s, deployment")
    p.add_argument(
        "--age-hours",
        type=float,
        default=24,
        help="move the warehouse's load times this far back between the backfill and the daily"
        " run (the day between them); 0: the daily run right after the backfill",
    )
    return p.parse_args()


def timed_run(p: Pipeline, loaders: int, **request: Any) -> dict[str, Any]:
    """One run from request to its final status, with its figures."""
    roots = {**stack_pids(), **p.supervisor.running()}
    if p.sim is not None:
        roots["polygon_sim"] = p.sim.pid
    cpu = CpuSpan(roots)
    cpu.start()
    run_id = asyncio.run(p.request_run(**request))
    t0 = time.monotonic()
    row = asyncio.run(p.wait_finished(run_id, timeout_s=4 * 3600))
    wall = time.monotonic() - t0
    cpu_s = cpu.stop()
    stages = asyncio.run(stage_times(p.connect, run_id))
    logs = [p.supervisor.log(Replica("loader", i)) for i in range(1, loaders + 1)]
    loader_rps, _ = loader_rows_per_s(logs, run_id)
    together_rps = loaders_together_rows_per_s(logs, run_id)
    bars = stages["bars"]
    return {
        "run_id": run_id,
        "status": row["status"],
        "reason": row["reason"],
        "plan": row["plan"],
        "wall_s": round(wall, 1),
        "end_to_end_s": round(stages["end_to_end"], 1),
        "dbt_s": round(stages["dbt"], 1),
        "fetch_and_load_s": round(stages["fetch_and_load"], 1),
        "ingest_bars_per_s": round(bars / stages["fetch_and_load"]) if bars else 0,
        "loader_rows_per_s": round(loader_rps),
        "loaders_together_rows_per_s": round(together_rps),
        "bars": int(bars),
        "api_requests": int(stages["api_requests"]),
        **dbt_breakdown(p.supervisor.log(Replica("transformer", 1)), run_id),
        # CPU seconds by process over the run (2 cores: twice the wall time is the most there is)
        "cpu_s": cpu_s,
    }


def main() -> None:
    a = parse()
    start = END - timedelta(days=round(a.history_years * 365.25))
    next_day = nyse_sessions(END + timedelta(days=1), END + timedelta(days=10))[0]
    sim_env = {
        "SIM_UNIVERSE_SIZE": str(a.tickers),
        "SIM_HISTORY_START": start.isoformat(),
        "SIM_HISTORY_END": (END + timedelta(days=31)).isoformat(),
        "SIM_TODAY": END.isoformat(),
        "SIM_LATENCY_MEAN_MS": str(a.latency_ms),
        "SIM_LATENCY_JITTER_MS": "5",
    }
    service_env = {
        "POLYGON_RATE_LIMIT_PER_S": str(a.rate_limit),
        "FETCHER_CONCURRENCY": "16",
        "LISTER_HISTORY_START": start.isoformat(),
        "LISTER_DAYS_PER_BATCH": str(a.days_per_batch),
    }
    counts = {"lister": 1, "fetcher": a.fetchers, "loader": a.loaders, "transformer": 1}
    wait_until_alone(timeout_s=1800)
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_pipeline(Path(tmp), sim_env, service_env, counts, "stocks_bench") as p,
    ):
        time.sleep(5)  # let consumers join their groups before timing
        request = {"from": start, "to": END, "plan": "grouped_daily", "batch_size": 1000}
        backfill = timed_run(p, a.loaders, **request)
        if a.age_hours:
            t0 = time.monotonic()
            aged = asyncio.run(age_warehouse(p.connect, a.age_hours))
            refingerprint_factors(p.pg, Path(tmp))
            print(f"aged {len(aged)} tables by {a.age_hours} h in {time.monotonic() - t0:.0f} s")
        p.set_clock(next_day)
        events_mark = asyncio.run(end_offsets(p.kafka, topics.RAW_OBJECT_EVENTS))
        daily = timed_run(p, a.loaders, to=next_day)
        daily["peak_rss_mb"] = peak_rss_by_kind(p.supervisor.running())
        # how long each object waited for MinIO's event to reach Kafka (its queue dir)
        events = asyncio.run(records_since(p.kafka, topics.RAW_OBJECT_EVENTS, events_mark))
        objects = run_prefix(MinioSettings().raw_prefix, daily["run_id"])
        daily["notification_delays_s"] = notification_delays(events, objects)
        # where the daily run's ingest time goes, batch by batch (seconds after its listing)
        for batch in asyncio.run(batch_timeline(p.connect, daily["run_id"])):
            print("  daily batch: " + ", ".join(f"{k} {v}" for k, v in batch.items()))
        for i in range(1, a.loaders + 1):
            log = p.supervisor.log(Replica("loader", i))
            for entry in loader_lines(log, daily["run_id"], LOAD_EVENTS):
                shown = {k: entry[k] for k in LOAD_FIELDS if k in entry}
                print(
                    f"  daily load (loader {i}): " + ", ".join(f"{k} {v}" for k, v in shown.items())
                )
        copy_rps, _ = asyncio.run(plain_copy_rows_per_s(p.connect))
    for run in (backfill, daily):
        run["plain_copy_rows_per_s"] = round(copy_rps)
    print(
        f"{a.tickers}-ticker universe, {a.history_years} years {start}..{END}, then {next_day};"
        f" {a.fetchers} fetchers, {a.loaders} loaders, API latency {a.latency_ms:.0f} ms"
    )
    for name, run in (("backfill", backfill), ("daily", daily)):
        print(f"  {name}: " + ", ".join(f"{k} {v}" for k, v in run.items()))
    figures = {**daily, "history_years": a.history_years, "age_hours": a.age_hours}
    print(json.dumps({**figures, "backfill": backfill}))


if __name__ == "__main__":
    main()
