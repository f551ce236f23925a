"""Benchmark of a daily incremental run over the whole universe, next to a per-ticker run of the
same day: API requests and wall time of each.

    .venv/bin/python benchmarks/bench_incremental.py [--universe 12000] [--latency-ms 20]

Needs the native stack. On a database of its own: a grouped-daily backfill of the days before
(cheap, and it sets every ticker's watermark), then an incremental run for the last day (the
planner picks grouped daily), then the same day forced per ticker. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testbed.pipeline import Pipeline, running_pipeline

BACKFILL = (date(2024, 12, 23), date(2024, 12, 27))
DAY = date(2024, 12, 30)


async def requests_of(p: Pipeline, run_id: str) -> int:
    conn = await p.connect()
    try:
        return int(
            await conn.fetchval(
                "select r.api_requests + coalesce(sum(b.api_requests), 0) from control.runs r"
                " left join control.batches b using (run_id) where r.run_id = $1"
                " group by r.api_requests",
                run_id,
            )
        )
    finally:
        await conn.close()


def timed_run(p: Pipeline, **request: object) -> tuple[str, float, dict[str, object]]:
    run_id = asyncio.run(p.request_run(**request))
    t0 = time.monotonic()
    row = asyncio.run(p.wait_finished(run_id, timeout_s=3600))
    return run_id, time.monotonic() - t0, dict(row)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--universe", type=int, default=12_000)
    ap.add_argument("--latency-ms", type=float, default=20)
    ap.add_argument("--fetchers", type=int, default=2)
    a = ap.parse_args()
    sim_env = {
        "SIM_UNIVERSE_SIZE": str(a.universe),
        "SIM_HISTORY_START": "2024-06-03",
        "SIM_HISTORY_END": DAY.isoformat(),
        "SIM_LATENCY_MEAN_MS": str(a.latency_ms),
    }
    service_env = {
        "POLYGON_RATE_LIMIT_PER_S": "1000",
        "FETCHER_CONCURRENCY": "16",
        "LISTER_HISTORY_START": BACKFILL[0].isoformat(),
        "LISTER_INCLUDE_DELISTED": "false",
    }
    counts = {"lister": 1, "fetcher": a.fetchers, "loader": 2, "transformer": 1}
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_pipeline(Path(tmp), sim_env, service_env, counts, "stocks_bench") as p,
    ):
        time.sleep(5)
        timed_run(
            p, **{"from": BACKFILL[0], "to": BACKFILL[1]}, plan="grouped_daily", batch_size=1000
        )
        rows = []
        for label, request in (
            ("incremental (auto plan)", {"to": DAY}),
            (
                "per ticker, same day",
                {"from": DAY, "to": DAY, "plan": "per_ticker", "batch_size": 200},
            ),
        ):
            run_id, wall, row = timed_run(p, **request)
            rows.append(
                (label, row["plan"], asyncio.run(requests_of(p, run_id)), wall, row["status"])
            )
    print(f"daily run over a {a.universe}-ticker universe, API latency {a.latency_ms:.0f} ms")
    for label, plan, requests, wall, status in rows:
        print(f"  {label:26} plan {plan!s:14} {requests:6d} API requests  {wall:7.1f} s  {status}")


if __name__ == "__main__":
    main()
