"""Benchmark of the whole pipeline: a real run through every service, timed per stage.

    .venv/bin/python benchmarks/bench_pipeline.py [--tickers 2000] [--days 252]
        [--latency-ms 20] [--fetchers 2] [--loaders 2] [--batch-size 100]

Needs the native stack (deploy/local/stack up). Starts the simulator and the services on a
database and bucket of their own, runs one range request, and prints wall time per stage and end
to end, bars/s, and the loader's rows/s next to a plain COPY of the same rows into a table of the
same shape, measured in the same run. Prints figures; asserts nothing.
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

from services.cli.processes import Replica
from tests.support.pipeline import Pipeline, running_pipeline

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
    return p.parse_args()


async def stage_times(p: Pipeline, run_id: str) -> dict[str, float]:
    conn = await p.connect()
    try:
        r = await conn.fetchrow(
            """
            select extract(epoch from r.listed_at - r.requested_at) as listing,
                   extract(epoch from max(b.fetched_at) - r.listed_at) as fetching,
                   extract(epoch from max(b.loaded_at) - r.listed_at) as fetch_and_load,
                   extract(epoch from r.finished_at - r.transform_started_at) as dbt,
                   extract(epoch from r.finished_at - r.requested_at) as end_to_end,
                   coalesce(sum(b.bars_loaded) filter (where b.batch_id <> 'tickers'), 0) as bars,
                   r.api_requests + coalesce(sum(b.api_requests), 0) as api_requests
            from control.runs r join control.batches b using (run_id)
            where r.run_id = $1 group by r.run_id
            """,
            run_id,
        )
        return {k: float(v) for k, v in dict(r).items()}
    finally:
        await conn.close()


def loader_rows_per_s(p: Pipeline, loaders: int) -> tuple[float, int]:
    """Rows over the time spent inside load_object, from the loaders' own log lines."""
    rows, seconds = 0, 0.0
    for i in range(1, loaders + 1):
        for line in p.supervisor.log(Replica("loader", i)).read_text().splitlines():
            if '"object_loaded"' in line and '"daily_bars"' in line:
                entry = json.loads(line)
                rows += entry["rows"]
                seconds += entry["duration_s"]
    return (rows / seconds if seconds else 0.0), rows


async def plain_copy_rows_per_s(p: Pipeline) -> tuple[float, int]:
    """The same rows COPYed into a fresh table like raw.stock_bars_daily: the floor to compare."""
    conn = await p.connect()
    try:
        records = await conn.fetch("select * from raw.stock_bars_daily")
        await conn.execute("create table raw.bench_copy (like raw.stock_bars_daily including all)")
        columns = list(records[0].keys())
        start = time.perf_counter()
        await conn.copy_records_to_table(
            "bench_copy", schema_name="raw", records=[tuple(r) for r in records], columns=columns
        )
        elapsed = time.perf_counter() - start
        await conn.execute("drop table raw.bench_copy")
        return len(records) / elapsed, len(records)
    finally:
        await conn.close()


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
    service_env = {"POLYGON_RATE_LIMIT_PER_S": str(a.rate_limit), "FETCHER_CONCURRENCY": "16"}
    counts = {"lister": 1, "fetcher": a.fetchers, "loader": a.loaders, "transformer": 1}
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
        stages = asyncio.run(stage_times(p, run_id))
        loader_rps, loader_rows = loader_rows_per_s(p, a.loaders)
        copy_rps, copy_rows = asyncio.run(plain_copy_rows_per_s(p))
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
    print(f"  loader rows/s   {loader_rps:8.0f}   (one loader, inside load_object, {loader_rows})")
    print(f"  plain COPY      {copy_rps:8.0f}   rows/s ({copy_rows} rows, same shape, same run)")


if __name__ == "__main__":
    main()
