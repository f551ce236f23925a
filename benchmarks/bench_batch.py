"""Benchmark of one big batch: the fetcher's and the loader's peak memory and the loader's rows/s
next to a plain COPY of the same rows.

    .venv/bin/python benchmarks/bench_batch.py [--tickers 1000] [--years 10] [--concurrency 8]
        [--latency-ms 0] [--grouped-days 0] [--actions splits|dividends]

Needs the native stack (MinIO and Postgres). Starts the simulator, then, each in a fresh child
process so that its VmHWM is its own: the fetcher's service function for one range batch of
`--tickers` tickers x `--years` years (or, with --grouped-days N, one whole-market grouped batch
of N days; with --actions KIND, the whole market's splits or dividends of the --years) into a
bucket of its own; the loader's service function on that object, into a database of its own
(new rows); the loader again on the same object (a replay: every row conflicts, none changes).
Then a plain COPY of the loaded rows into a fresh table of the same shape (bars only). Prints
figures and ends with one JSON line; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from benchmarks.support import child_json, peak_rss_mb, plain_copy_rows_per_s
from shared.messages import FetchBatch
from testbed.names import unique, unique_db

END = date(2024, 12, 31)
RUN_ID = "bench"


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--tickers", type=int, default=1000)
    p.add_argument("--years", type=float, default=10)
    p.add_argument("--concurrency", type=int, default=8, help="FETCHER_CONCURRENCY")
    p.add_argument("--latency-ms", type=float, default=0)
    p.add_argument("--grouped-days", type=int, default=0, help="a grouped batch of N days")
    p.add_argument("--universe", type=int, default=0, help="simulated tickers (default tickers)")
    p.add_argument(
        "--actions", choices=["splits", "dividends"], help="a whole-market corporate-action batch"
    )
    p.add_argument("--profile", help="write the first load's cProfile stats to this file")
    p.add_argument("--child", choices=["fetch", "load"], help=argparse.SUPPRESS)
    p.add_argument("--config", help=argparse.SUPPRESS)
    return p.parse_args()


# --- children: one service function each, in a process of its own ------------------------------


class _Marks:
    """Stands in for the fetcher's BatchRepository: the benchmark has no control.batches row,
    so every batch is wanted, carries its tickers, and only its request count is kept."""

    requests = 0

    async def wants(self, run_id: str, batch_id: str) -> bool:
        return True

    async def with_tickers(self, batch: FetchBatch) -> FetchBatch:
        return batch

    async def mark_fetched(
        self,
        run_id: str,
        batch_id: str,
        key: str,
        api_requests: int,
        api_statuses: Mapping[str, int],
    ) -> None:
        self.requests = api_requests


async def _fetch(cfg: dict[str, Any]) -> dict[str, Any]:
    from services.fetcher.service import Fetcher
    from shared.clients.polygon import PolygonClient
    from shared.clients.storage import MinioObjectStore
    from shared.settings import MinioSettings, PolygonSettings

    polygon = PolygonSettings(
        api_key="demo-key", base_url=cfg["sim_url"], rate_limit_per_s=10_000, timeout_s=120
    )
    minio = MinioSettings().model_copy(update={"bucket": cfg["bucket"]})
    batch = FetchBatch.model_validate(cfg["batch"])
    marks = _Marks()
    started = time.monotonic()
    async with PolygonClient(polygon) as api:
        fetcher = Fetcher(api, MinioObjectStore(minio), marks, "raw/", cfg["concurrency"])
        await fetcher.fetch(batch)
    return {"seconds": time.monotonic() - started, "api_requests": marks.requests}


async def _load(cfg: dict[str, Any]) -> dict[str, Any]:
    from faststream.kafka import KafkaBroker

    from services.loader.repository import RawRepository
    from services.loader.service import Loader
    from shared.clients.db import create_pool
    from shared.clients.storage import MinioObjectStore
    from shared.settings import MinioSettings, PostgresSettings

    minio = MinioSettings().model_copy(update={"bucket": cfg["bucket"]})
    pg = PostgresSettings().model_copy(update={"database": cfg["database"]})
    pool = await create_pool(pg)
    try:
        loader = Loader(
            MinioObjectStore(minio), RawRepository(pool), KafkaBroker(), cfg["bucket"], "raw/"
        )
        started = time.monotonic()
        loaded = await loader.load(cfg["key"])
        return {"seconds": time.monotonic() - started, "rows": loaded.bars_loaded}
    finally:
        await pool.close()


def run_child(kind: str, config: str) -> None:
    cfg = json.loads(config)
    if cfg.get("profile"):
        import cProfile

        with cProfile.Profile() as profile:
            result = asyncio.run(_fetch(cfg) if kind == "fetch" else _load(cfg))
        profile.dump_stats(cfg["profile"])
    else:
        result = asyncio.run(_fetch(cfg) if kind == "fetch" else _load(cfg))
    result["peak_rss_mb"] = peak_rss_mb(os.getpid())
    print(json.dumps(result))


# --- the parent ---------------------------------------------------------------------------------


def batch_message(a: argparse.Namespace, tickers: list[str], start: date) -> dict[str, Any]:
    message: dict[str, Any] = {
        "run_id": RUN_ID,
        "message_id": f"{RUN_ID}/b00000/fetch",
        "batch_id": "b00000",
        "seq": 0,
        "total_batches": 1,
        "tickers": tickers,
        "from": start.isoformat(),
        "to": END.isoformat(),
    }
    if a.actions:
        message["tickers"], message["actions"] = [], a.actions
    elif a.grouped_days:
        sessions = httpx.get(f"{a.sim_url}/_sim/truth/sessions", timeout=60).json()["sessions"]
        message["tickers"] = []
        message["days"] = sessions[-a.grouped_days :]
        message["from"], message["to"] = message["days"][0], message["days"][-1]
    return message


def main() -> None:
    a = parse()
    if a.child:
        run_child(a.child, a.config)
        return
    from benchmarks.support import Environment

    start = END - timedelta(days=round(a.years * 365.25))
    universe = a.universe or a.tickers
    with Environment(
        {
            "SIM_UNIVERSE_SIZE": str(max(universe, 10)),
            "SIM_HISTORY_START": start.isoformat(),
            "SIM_HISTORY_END": END.isoformat(),
            "SIM_LATENCY_MEAN_MS": str(a.latency_ms),
        },
        bucket=unique("bench"),
        database=unique_db("stocks_bench"),
    ) as env:
        a.sim_url = env.sim_url
        tickers = env.tickers(a.tickers)
        batch = batch_message(a, tickers, start)
        asyncio.run(env.add_run(RUN_ID))
        common = {"sim_url": env.sim_url, "bucket": env.bucket, "database": env.database}
        fetched = child_json(
            __file__, "fetch", {**common, "batch": batch, "concurrency": a.concurrency}
        )
        key = f"raw/polygon/{RUN_ID}/b00000.jsonl"
        size_mb = env.object_size(key) / 2**20
        loaded = child_json(__file__, "load", {**common, "key": key, "profile": a.profile})
        if a.actions:
            events = asyncio.run(_stored_events(env.connect, a.actions))
            print_figures(
                f"whole-market {a.actions}", a, actions_figures(fetched, loaded, size_mb, events)
            )
            return
        # The machine is shared: COPY right after the load and again after the replay.
        copy_rps = [asyncio.run(plain_copy_rows_per_s(env.connect))[0]]
        replayed = child_json(__file__, "load", {**common, "key": key})
        copy_rps.append(asyncio.run(plain_copy_rows_per_s(env.connect))[0])
    rows = loaded["rows"]
    figures = {
        "bars": rows,
        "api_requests": fetched["api_requests"],
        "object_mb": round(size_mb, 1),
        "fetch_s": round(fetched["seconds"], 2),
        "load_s": round(loaded["seconds"], 2),
        "loader_rows_per_s": round(rows / loaded["seconds"]),
        "replay_rows_per_s": round(replayed["rows"] / replayed["seconds"]),
        "plain_copy_rows_per_s": round(sum(copy_rps) / 2),
        "plain_copy_each": [round(x) for x in copy_rps],
        "loader_vs_copy": round(rows / loaded["seconds"] / (sum(copy_rps) / 2), 2),
        "peak_rss_mb": {
            "fetcher": fetched["peak_rss_mb"],
            "loader": max(loaded["peak_rss_mb"], replayed["peak_rss_mb"]),
        },
    }
    kind = f"grouped {a.grouped_days} days" if a.grouped_days else f"{a.tickers} tickers"
    print_figures(kind, a, figures)


def actions_figures(
    fetched: dict[str, Any], loaded: dict[str, Any], size_mb: float, events: int
) -> dict[str, Any]:
    """A corporate-action batch's figures: its events and both services' time and memory."""
    return {
        "events": events,
        "object_mb": round(size_mb, 1),
        "api_requests": fetched["api_requests"],
        "fetch_s": round(fetched["seconds"], 2),
        "load_s": round(loaded["seconds"], 2),
        "peak_rss_mb": {"fetcher": fetched["peak_rss_mb"], "loader": loaded["peak_rss_mb"]},
    }


async def _stored_events(connect: Any, kind: str) -> int:
    conn = await connect()
    try:
        return int(await conn.fetchval(f"select count(*) from raw.stock_{kind}"))
    finally:
        await conn.close()


def print_figures(kind: str, a: argparse.Namespace, figures: dict[str, Any]) -> None:
    print(f"one batch: {kind} x {a.years} years, concurrency {a.concurrency}")
    for name, value in figures.items():
        print(f"  {name:22} {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
