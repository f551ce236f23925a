"""Throughput of the Polygon simulator: requests/s and bars/s for year-long ranges and grouped days.

The simulator runs as `python -m services.polygon_sim` in a subprocess pinned to one core; this
process drives it from another core with an httpx.AsyncClient at bounded concurrency, for a
bounded number of requests and seconds, over loopback only. Not a test: run it by hand.

    .venv/bin/python benchmarks/bench_simulator.py [--universe 12000] [--seconds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson

ROOT = Path(__file__).parents[1]
KEY = "bench-key"


@dataclass
class Result:
    """What one scenario achieved."""

    name: str
    requests: int
    bars: int
    seconds: float
    latencies: list[float]

    def line(self) -> str:
        lat = sorted(self.latencies)
        p50, p95 = lat[len(lat) // 2] * 1000, lat[int(len(lat) * 0.95)] * 1000
        return (
            f"{self.name:<28} {self.requests:>6} req {self.seconds:>6.1f} s "
            f"{self.requests / self.seconds:>8.1f} req/s {self.bars / self.seconds:>11,.0f} bars/s"
            f"   p50 {p50:6.1f} ms  p95 {p95:6.1f} ms"
        )


def out(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int, universe: int, core: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SIM_PORT": str(port),
        "SIM_UNIVERSE_SIZE": str(universe),
        "SIM_API_KEYS": f'["{KEY}"]',
        "SIM_HISTORY_START": "2015-01-02",
    }
    cmd = ["taskset", "-c", str(core), sys.executable, "-m", "services.polygon_sim"]
    return subprocess.Popen(cmd, cwd=ROOT, env=env)


def wait_ready(url: str, timeout_s: float = 120.0) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        try:
            httpx.get(url + "/_sim/stats", timeout=1.0)
            return time.monotonic() - start
        except httpx.TransportError:
            time.sleep(0.2)
    raise TimeoutError("simulator did not start")


async def drive(
    client: httpx.AsyncClient,
    name: str,
    urls: Callable[[int], str],
    max_requests: int,
    seconds: float,
    concurrency: int,
) -> Result:
    """Send up to max_requests GETs (or stop after `seconds`) with `concurrency` in flight."""
    counter, bars, latencies = 0, 0, []
    deadline = time.monotonic() + seconds

    async def worker() -> None:
        nonlocal counter, bars
        while counter < max_requests and time.monotonic() < deadline:
            i, counter = counter, counter + 1
            sent = time.monotonic()
            response = await client.get(urls(i))
            latencies.append(time.monotonic() - sent)
            response.raise_for_status()
            bars += orjson.loads(response.content)["resultsCount"]

    start = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Result(name, len(latencies), bars, time.monotonic() - start, latencies)


async def scenarios(url: str, args: argparse.Namespace) -> list[Result]:
    limits = httpx.Limits(max_connections=args.concurrency)
    headers = {"Authorization": f"Bearer {KEY}"}
    async with httpx.AsyncClient(
        base_url=url, headers=headers, limits=limits, timeout=60.0
    ) as client:
        truth = orjson.loads((await client.get("/_sim/truth/tickers")).content)["results"]
        tickers = [r["ticker"] for r in truth if r["active"]]
        random.Random(1).shuffle(tickers)
        days = orjson.loads(
            (
                await client.get(
                    "/_sim/truth/sessions", params={"from": "2016-01-01", "to": "2024-12-31"}
                )
            ).content
        )["sessions"]
        random.Random(2).shuffle(days)
        run = (args.requests, args.seconds, args.concurrency)
        return [
            await drive(
                client,
                "range 1/day, one year",
                lambda i: (
                    f"/v2/aggs/ticker/{tickers[i % len(tickers)]}/range/1/day/2024-01-01/2024-12-31"
                ),
                *run,
            ),
            await drive(
                client,
                "range 1/day, ten years",
                lambda i: (
                    f"/v2/aggs/ticker/{tickers[i % len(tickers)]}/range/1/day/2015-01-01/2024-12-31"
                    "?limit=50000"
                ),
                *run,
            ),
            await drive(
                client,
                "grouped day (distinct days)",
                lambda i: f"/v2/aggs/grouped/locale/us/market/stocks/{days[i % len(days)]}",
                *run,
            ),
        ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--universe", type=int, default=12_000)
    parser.add_argument("--seconds", type=float, default=15.0, help="cap per scenario")
    parser.add_argument("--requests", type=int, default=3_000, help="cap per scenario")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    cores = sorted(os.sched_getaffinity(0))
    server_core, client_core = cores[0], cores[-1]
    port = free_port()
    server = start_server(port, args.universe, server_core)
    try:
        url = f"http://127.0.0.1:{port}"
        ready = wait_ready(url)
        os.sched_setaffinity(0, {client_core})
        out(
            f"simulator: universe {args.universe}, core {server_core}, ready in {ready:.1f} s; "
            f"driver on core {client_core}, concurrency {args.concurrency}"
        )
        for result in asyncio.run(scenarios(url, args)):
            out(result.line())
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
