"""The Polygon simulator as a real process on a free loopback port, plus its ground truth."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from services.polygon_sim.market.market import Market
from shared.clients.polygon import DailyBar, trading_date_of
from shared.settings import PolygonSettings

ROOT = Path(__file__).resolve().parents[3]
API_KEY = "it-key-0f7c2a"
SEED, UNIVERSE = 7, 300
START, END = date(2024, 1, 2), date(2024, 3, 28)


@dataclass(frozen=True)
class Simulator:
    base_url: str

    def settings(self, **overrides: Any) -> PolygonSettings:
        """Client settings for this simulator, from keyword arguments only."""
        values: dict[str, Any] = dict(
            api_key=API_KEY, base_url=self.base_url, timeout_s=5.0, max_retry_s=30.0,
            rate_limit_per_s=500.0, backoff_base_s=0.05, backoff_cap_s=1.0,
        )  # fmt: skip
        return PolygonSettings(_env_file=None, **(values | overrides))

    def stats(self) -> dict[str, Any]:
        """The simulator's request counters."""
        body: dict[str, Any] = httpx.get(f"{self.base_url}/_sim/stats").json()
        return body


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def run_simulator(**sim: Any) -> Iterator[Simulator]:
    """`python -m services.polygon_sim` with SIM_* settings; stopped on exit."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIM_")}
    values = dict(
        host="127.0.0.1", port=port, seed=SEED, universe_size=UNIVERSE,
        history_start=START.isoformat(), history_end=END.isoformat(), api_keys=[API_KEY],
    ) | sim  # fmt: skip
    for key, value in values.items():
        env[f"SIM_{key.upper()}"] = value if isinstance(value, str) else json.dumps(value)
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.polygon_sim"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    sim_ = Simulator(f"http://127.0.0.1:{port}")
    try:
        _wait_ready(sim_, proc)
        yield sim_
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_ready(sim: Simulator, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"simulator exited with {proc.returncode}: {err[-2000:]}")
        try:
            if httpx.get(f"{sim.base_url}/_sim/stats", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("simulator did not start within 60 s")


def truth_market() -> Market:
    """The same market the simulator serves (same seed, size and window)."""
    return Market(SEED, UNIVERSE, START, END)


def as_bars(
    rows: list[dict[str, Any]], adjusted: bool, ticker: str | None = None
) -> list[DailyBar]:
    """Ground-truth rows as the DailyBar values the client should return."""
    return [
        DailyBar(
            ticker=ticker or r["T"], trading_date=trading_date_of(r["t"]), open=r["o"],
            high=r["h"], low=r["l"], close=r["c"], volume=r["v"], vwap=r.get("vw"),
            transactions=r.get("n"), otc=r.get("otc", False), t_ms=r["t"], adjusted=adjusted,
        )
        for r in rows
    ]  # fmt: skip
