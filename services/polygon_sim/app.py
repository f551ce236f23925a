"""Composition root of the simulator: settings in, a Starlette ASGI app out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette

from services.polygon_sim.api.auth import RateLimiter
from services.polygon_sim.api.routes import API_ROUTES
from services.polygon_sim.api.stats import RequestStats
from services.polygon_sim.api.tickers_query import TickerCatalog
from services.polygon_sim.clock import Clock
from services.polygon_sim.faults.injector import FaultInjector, FaultRates
from services.polygon_sim.market.market import Market
from services.polygon_sim.settings import SimulatorSettings
from services.polygon_sim.sim_api.clock_routes import CLOCK_ROUTES
from services.polygon_sim.sim_api.truth_routes import SIM_ROUTES
from services.polygon_sim.state import SimState


def build_market(settings: SimulatorSettings) -> Market:
    """The market the settings describe."""
    return Market(
        settings.seed, settings.universe_size, settings.history_start, settings.history_end
    )


def create_app(
    settings: SimulatorSettings | None = None, market: Market | None = None
) -> Starlette:
    """The simulator app; pass `market` to share one already built (tests do, to save time)."""
    settings = settings or SimulatorSettings()
    market = market or build_market(settings)
    rates = FaultRates(
        seed=settings.seed,
        latency_mean_ms=settings.latency_mean_ms,
        latency_jitter_ms=settings.latency_jitter_ms,
        server_error=settings.error_5xx_share,
        malformed=settings.malformed_share,
        results_null=settings.results_null_share,
        delayed=settings.delayed_share,
    )
    state = SimState(
        settings=settings,
        market=market,
        # Without SIM_TODAY the clock starts at the history's end (today when that is unset).
        clock=Clock(settings.today or market.history_end, market.history_start, market.horizon_end),
        catalog=TickerCatalog(market),
        stats=RequestStats(),
        limiter=RateLimiter(settings.rate_limit_requests, settings.rate_limit_window_s),
        faults=FaultInjector(rates, settings.malformed_tickers),
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Serve only once every grouped day is cheap: the first one would otherwise take seconds.
        if settings.warm_start:
            await asyncio.to_thread(market.warm, state.clock.today)
            if settings.bad_corporate_actions:
                await asyncio.to_thread(market.corporate_actions, True)
        yield

    app = Starlette(routes=[*API_ROUTES, *SIM_ROUTES, *CLOCK_ROUTES], lifespan=lifespan)
    app.state.sim = state
    return app
