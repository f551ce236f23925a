"""Everything a running simulator holds, built once by `app.create_app` and shared by routes."""

from __future__ import annotations

from dataclasses import dataclass

from services.polygon_sim.api.auth import RateLimiter
from services.polygon_sim.api.stats import RequestStats
from services.polygon_sim.api.tickers_query import TickerCatalog
from services.polygon_sim.clock import Clock
from services.polygon_sim.faults.injector import FaultInjector
from services.polygon_sim.market.market import Market
from services.polygon_sim.settings import SimulatorSettings


@dataclass(slots=True)
class SimState:
    """The market, its clock and reference catalog, and the per-process counters and budgets."""

    settings: SimulatorSettings
    market: Market
    clock: Clock
    catalog: TickerCatalog
    stats: RequestStats
    limiter: RateLimiter
    faults: FaultInjector
