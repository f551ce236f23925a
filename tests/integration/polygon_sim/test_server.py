"""The simulator over a real loopback socket: in-process uvicorn and `python -m` as a process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
import uvicorn

from services.polygon_sim.app import create_app
from services.polygon_sim.settings import SimulatorSettings

pytestmark = pytest.mark.integration

_ROOT = Path(__file__).parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(url: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise TimeoutError(url)


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    """A simulator served by uvicorn in a thread of this process, on a free loopback port."""
    port = _free_port()
    settings = SimulatorSettings(
        universe_size=200, history_start=date(2024, 1, 2), history_end=date(2024, 12, 31), port=port
    )
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    _wait_for(url + "/_sim/stats")
    yield url
    server.should_exit = True
    thread.join(timeout=10)


class TestServedOverTcp:
    def test_next_url_points_back_at_this_server(self, server_url: str) -> None:
        """next_url carries the host and port the client used, so following it works."""
        with httpx.Client(base_url=server_url, headers={"Authorization": "Bearer demo-key"}) as c:
            first = c.get("/v3/reference/tickers", params={"limit": 50}).json()
            second = c.get(first["next_url"])

        assert first["next_url"].startswith(server_url + "/v3/reference/tickers?cursor=")
        assert (200, 50) == (second.status_code, second.json()["count"])

    def test_grouped_and_stats(self, server_url: str) -> None:
        """A grouped day is served and counted."""
        with httpx.Client(base_url=server_url) as c:
            c.post("/_sim/stats/reset")
            body = c.get(
                "/v2/aggs/grouped/locale/us/market/stocks/2024-07-05", params={"apiKey": "demo-key"}
            ).json()
            stats = c.get("/_sim/stats").json()

        assert ("OK", 1) == (body["status"], stats["requests"]["grouped"])

    def test_corporate_actions_follow_the_clock(self, server_url: str) -> None:
        """Splits and dividends pages follow next_url over TCP; moving the clock reveals more."""
        with httpx.Client(base_url=server_url, headers={"Authorization": "Bearer demo-key"}) as c:
            clock = c.get("/_sim/clock").json()
            first = c.get("/v3/reference/dividends", params={"limit": 5}).json()
            second = c.get(first["next_url"])
            before = len(c.get("/_sim/truth/splits").json()["splits"])
            moved = c.post("/_sim/clock", json={"today": "2026-12-31"})
            after = len(c.get("/_sim/truth/splits").json()["splits"])
            back = c.post("/_sim/clock", json={"today": "2025-01-02"})

        assert "2024-12-31" == clock["today"]
        assert first["next_url"].startswith(server_url + "/v3/reference/dividends?cursor=")
        assert (200, 5) == (second.status_code, len(second.json()["results"]))
        assert (200, 400) == (moved.status_code, back.status_code)
        assert before < after


class TestModuleEntryPoint:
    def test_python_dash_m_serves_on_sim_port(self) -> None:
        """`python -m services.polygon_sim` reads SIM_* variables and serves the API."""
        port = _free_port()
        env = {
            **os.environ,
            "SIM_PORT": str(port),
            "SIM_UNIVERSE_SIZE": "50",
            "SIM_HISTORY_START": "2024-01-02",
            "SIM_HISTORY_END": "2024-03-28",
            "SIM_TODAY": "2024-03-15",
            "SIM_BAD_CORPORATE_ACTIONS": "true",
            "SIM_API_KEYS": '["k1"]',
        }
        proc = subprocess.Popen([sys.executable, "-m", "services.polygon_sim"], cwd=_ROOT, env=env)
        try:
            _wait_for(f"http://127.0.0.1:{port}/_sim/stats")
            response = httpx.get(
                f"http://127.0.0.1:{port}/v2/aggs/ticker/BRK.A/range/1/day/2024-03-01/2024-03-28",
                headers={"Authorization": "Bearer k1"},
            )
            bad = httpx.get(f"http://127.0.0.1:{port}/_sim/truth/bad_corporate_actions").json()
        finally:
            proc.terminate()
            proc.wait(timeout=10)

        # Bars stop at SIM_TODAY: 2024-03-01..15 holds 11 sessions.
        assert (200, 11) == (response.status_code, response.json()["resultsCount"])
        assert (True, 6) == (bad["enabled"], len(bad["events"]))
