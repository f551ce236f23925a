"""Benchmark of the whole pipeline: a real run through every service, timed per stage.

    .venv/bin/python benchmarks/bench_pipeline.py [--tickers 2000] [--days 252]
        [--latency-ms 20] [--fetchers 2] [--loaders 2] [--batch-size 100]

Needs the native stack (deploy/local/stack up). Starts the simulator and the services on a
database and bucket of their own, runs one range request, and prints wall time per stage and end
to end, bars/s, the loader's rows/s next to a plain COPY of the same rows into a table of the
same shape, measured in the same run, and each service's peak RSS (VmHWM of its replicas; dbt
runs in a child of the transformer and is not counted). Prints figures and ends with one JSON
line of them; asserts nothing.
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.support import (
    loader_rows_per_s,
    loaders_together_rows_per_s,
    peak_rss_by_kind,
    plain_copy_rows_per_s,
    stage_times,
    straight_share,
    wait_until_alone,
)
from services.cli.processes import Replica
from testbed.pipeline import running_pipeline

END = date(2024, 12, 31)


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--tickers", type=int, default=2000)
    p.add_argument("--days", type=int, default=252, help="trading days (about)")
    p.add_argument("--latency-ms", type=float, default=20)
    p.add_argument("--fetchers", type=int, default=2)
    p.add_argument("--loaders", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--rate-limit", type=float, default=1000, help="API requests/s, deployment")
    p.add_argument("--plan", default="per_ticker", choices=["per_ticker", "grouped_daily", "auto"])
    p.add_argument("--concurrency", type=int, default=16, help="FETCHER_CONCURRENCY")
    return p.parse_args()


def main() -> None:
    a = parse()
    start = END - timedelta(days=round(a.days * 365 / 252))
    sim_env = {
        "SIM_UNIVERSE_SIZE": str(int(a.tickers * 1.1) + 20),
        "SIM_HISTORY_START": "2023-01-03",
        "SIM_HISTORY_END": END.isoformat(),
        "SIM_LATENCY_MEAN_MS": str(a.latency_ms),
        "SIM_LATENCY_JITTER_MS": "5",
    }
    service_env = {
        "POLYGON_RATE_LIMIT_PER_S": str(a.rate_limit),
        "FETCHER_CONCURRENCY": str(a.concurrency),
    }
    counts = {"lister": 1, "fetcher": a.fetchers, "loader": a.loaders, "transformer": 1}
    wait_until_alone(timeout_s=1800)
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_pipeline(Path(tmp), sim_env, service_env, counts, "stocks_bench") as p,
    ):
        time.sleep(5)  # let consumers join their groups before timing
        run_id = asyncio.run(
            p.request_run(
                **{"from": start, "to": END},
                max_tickers=a.tickers,
                batch_size=a.batch_size,
                plan=a.plan,
            )
        )
        t0 = time.monotonic()
        row = asyncio.run(p.wait_finished(run_id, timeout_s=3600))
        wall = time.monotonic() - t0
        peaks = peak_rss_by_kind(p.supervisor.running())
        stages = asyncio.run(stage_times(p.connect, run_id))
        logs = [p.supervisor.log(Replica("loader", i)) for i in range(1, a.loaders + 1)]
        loader_rps, loader_rows = loader_rows_per_s(logs)
        together_rps = loaders_together_rows_per_s(logs)
        straight = straight_share(logs)
        copy_rps, copy_rows = asyncio.run(plain_copy_rows_per_s(p.connect))
    bars = stages["bars"]
    print(
        f"run {run_id}: {row['status']}, {a.tickers} tickers x {start}..{END}, "
        f"{a.fetchers} fetchers, {a.loaders} loaders, batch {a.batch_size}, "
        f"API latency {a.latency_ms:.0f} ms, plan {row['plan']}"
    )
    for name in ("listing", "fetching", "fetch_and_load", "dbt", "end_to_end"):
        print(f"  {name:15} {stages[name]:8.1f} s")
    print(f"  wall (client)   {wall:8.1f} s")
    print(f"  bars loaded     {bars:8.0f}   API requests {stages['api_requests']:.0f}")
    print(
        f"  ingest bars/s   {bars / stages['fetch_and_load']:8.0f}   (listed -> last batch loaded)"
    )
    print(f"  loader rows/s   {loader_rps:8.0f}   (one loader, inside Loader.load, {loader_rows})")
    print(f"  loaders rows/s  {together_rps:8.0f}   (all loaders together, their busy wall time)")
    print(f"  plain COPY      {copy_rps:8.0f}   rows/s ({copy_rows} rows, same shape, same run)")
    print(f"  peak RSS MB     {peaks}")
    figures = {
        "end_to_end_s": round(stages["end_to_end"], 1),
        "dbt_s": round(stages["dbt"], 1),
        "ingest_bars_per_s": round(bars / stages["fetch_and_load"]) if bars else 0,
        "loader_rows_per_s": round(loader_rps),
        "plain_copy_rows_per_s": round(copy_rps),
        "loader_vs_copy": round(loader_rps / copy_rps, 2) if copy_rps else None,
        "loaders_together_rows_per_s": round(together_rps),
        "loaders_together_vs_copy": round(together_rps / copy_rps, 2) if copy_rps else None,
        "loader_straight_share": straight,
        "bars": int(bars),
        "api_requests": int(stages["api_requests"]),
        "peak_rss_mb": peaks,
        "status": row["status"],
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
