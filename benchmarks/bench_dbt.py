"""dbt alone: a full build over generated bars, then the daily incremental build of one new day.

    .venv/bin/python benchmarks/bench_dbt.py [--tickers 10000] [--years 1] [--keep]
    .venv/bin/python benchmarks/bench_dbt.py --database NAME --more-days 3


No services, no Kafka: a scratch database (bootstrapped like the real one, dbt as elt_transform
without CREATE on it) gets `years` x 252 weekdays of as-traded bars for `tickers` tickers,
straight from generate_series, with splits (1 % of tickers, one a year; some reverse) and
quarterly dividends (40 % of tickers). dbt builds it all, then one new day is loaded for every
ticker and dbt builds again. Prints each build's slowest nodes (dbt's own execution times) and
the load average, and ends with one JSON line. The database is dropped unless --keep.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_dbt_data import generate_history, load_next_day
from benchmarks.support import run_dbt
from services.transformer.dbt_worker import BUILD_EXCLUDES
from shared.bootstrap.database import bootstrap_database
from shared.clients.db import connect
from shared.settings import PostgresAdminSettings, PostgresSettings


def dbt_build(pg: PostgresSettings, work: Path, *args: str) -> dict[str, Any]:
    """`dbt build` as the transform role; its run_results.json."""
    target = run_dbt(pg, work, "build", *args)
    results: dict[str, Any] = json.loads((target / "run_results.json").read_text())
    return results


def report(label: str, results: dict[str, Any], top: int) -> float:
    """Print the build's elapsed time, the load average and its slowest nodes; the elapsed."""
    elapsed = float(results["elapsed_time"])
    nodes = sorted(results["results"], key=lambda r: -float(r["execution_time"]))
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{label}: dbt elapsed {elapsed:.1f} s, {len(nodes)} nodes, load average {load}")
    for node in nodes[:top]:
        name = node["unique_id"].split(".", 2)[2]
        print(f"  {float(node['execution_time']):7.2f} s  {node['status']:5}  {name}")
    return elapsed


async def prepare(pg: PostgresSettings, admin: PostgresAdminSettings, a: argparse.Namespace) -> int:
    await bootstrap_database(pg, admin)
    conn = await admin_connection(pg, admin)
    try:
        return await generate_history(conn, a.tickers, a.years)
    finally:
        await conn.close()


async def admin_connection(pg: PostgresSettings, admin: PostgresAdminSettings) -> Any:
    return await connect(pg, admin)


async def next_day(pg: PostgresSettings, admin: PostgresAdminSettings) -> tuple[int, int]:
    conn = await admin_connection(pg, admin)
    try:
        return await load_next_day(conn)
    finally:
        await conn.close()


async def drop(pg: PostgresSettings, admin: PostgresAdminSettings) -> None:
    conn = await connect(pg, admin, database="postgres")
    try:
        await conn.execute(f'drop database if exists "{pg.database}" with (force)')
    finally:
        await conn.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tickers", type=int, default=10_000)
    ap.add_argument("--years", type=int, default=1)
    ap.add_argument("--days", type=int, default=1, help="daily builds to run, one new day each")
    ap.add_argument("--database", default=f"dbt_bench_{os.getpid()}")
    ap.add_argument("--keep", action="store_true", help="keep the database (for EXPLAIN)")
    ap.add_argument("--top", type=int, default=12, help="slowest nodes printed per build")
    ap.add_argument(
        "--more-days",
        type=int,
        default=0,
        help="on a database kept by an earlier run (--database): only this many more daily"
        " builds, no generation and no full build (an A/B of two projects on their own"
        " databases, day after day)",
    )
    ap.add_argument(
        "--unit-tests",
        action="store_true",
        help="run dbt's unit tests too (the transformer's builds leave them out; CI runs them)",
    )
    a = ap.parse_args()
    admin = PostgresAdminSettings()
    pg = PostgresSettings(
        database=a.database, user="elt_transform", password=admin.transform_password
    )
    resumed = a.more_days > 0
    try:
        t0 = time.monotonic()
        bars = 0 if resumed else asyncio.run(prepare(pg, admin, a))
        if not resumed:
            print(f"generated {bars} bars in {time.monotonic() - t0:.0f} s into {a.database}")
        with tempfile.TemporaryDirectory(prefix="bench-dbt-") as tmp:
            # the transformer's builds: without unit tests unless asked
            args = [] if a.unit_tests else BUILD_EXCLUDES
            full = 0.0 if resumed else report("full build", dbt_build(pg, Path(tmp), *args), a.top)
            daily: list[float] = []
            for day in range(a.more_days or a.days):
                added, events = asyncio.run(next_day(pg, admin))
                label = f"daily build {day + 1} ({added} new bars, {events} splits and dividends)"
                daily.append(report(label, dbt_build(pg, Path(tmp), *args), a.top))
    finally:
        if not (a.keep or resumed):
            asyncio.run(drop(pg, admin))
    figures = {
        "full_build_s": None if resumed else round(full, 2),
        # the last daily build; every one, the first after the full build included, in
        # daily_dbt_runs_s
        "daily_dbt_s": round(daily[-1], 2),
        "daily_dbt_runs_s": [round(d, 2) for d in daily],
        # a resumed run does not know the history it continues
        "history_years": None if resumed else a.years,
        "tickers": None if resumed else a.tickers,
        "bars": None if resumed else bars,
        "unit_tests": a.unit_tests,
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
