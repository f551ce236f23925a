"""A small simulated market (300 tickers, 2023-01-03..2025-06-30) shared by the unit tests, and
in-process clients that reach the simulator through httpx.ASGITransport (no socket)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import date
from typing import Any

import httpx
import pytest

from services.polygon_sim.app import create_app
from services.polygon_sim.market.market import Market
from services.polygon_sim.settings import SimulatorSettings

SEED = 7
START, END = date(2023, 1, 3), date(2025, 6, 30)
BASE_URL = "http://sim.test"
KEY = "demo-key"

ClientFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


def small_settings(**overrides: Any) -> SimulatorSettings:
    """Settings of the shared small market, plus any overrides (faults, limits...)."""
    fields: dict[str, Any] = {
        "seed": SEED,
        "universe_size": 300,
        "history_start": START,
        "history_end": END,
        "warm_start": False,
        **overrides,
    }
    return SimulatorSettings(**fields)


@pytest.fixture(scope="session")
def market() -> Market:
    """The market every unit test reads; building it once keeps the tier fast."""
    return Market(SEED, 300, START, END)


@pytest.fixture
def sim_client(market: Market) -> ClientFactory:
    """Opens a client on a fresh simulator app (fresh counters) with the given setting overrides."""

    @asynccontextmanager
    async def open_client(
        key: str | None = KEY, **overrides: Any
    ) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(small_settings(**overrides), market=market)
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, headers=headers) as c:
            yield c

    return open_client
