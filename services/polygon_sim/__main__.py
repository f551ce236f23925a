"""`python -m services.polygon_sim`: serve the simulator with uvicorn, configured by SIM_* vars,
with /health and /metrics (its request counts) on METRICS_PORT like every service."""

from __future__ import annotations

import asyncio

import uvicorn

from services.polygon_sim.app import create_app
from services.polygon_sim.settings import SimulatorSettings
from services.polygon_sim.state import SimState
from shared.observability import (
    CallbackCounter,
    MetricsSettings,
    ObservabilityServer,
    register_callback_counter,
)


async def serve(settings: SimulatorSettings, metrics: MetricsSettings) -> None:
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level,
            access_log=settings.access_log,
        )
    )
    state: SimState = app.state.sim
    register_callback_counter(
        CallbackCounter(
            "stocks_elt_sim_requests",
            "Simulated Polygon API requests by HTTP status",
            "status",
            lambda: state.stats.snapshot()["statuses"],
        )
    )

    async def ready() -> bool:
        return bool(server.started)

    observability = ObservabilityServer(metrics, ready)
    if metrics.port:
        await observability.start()
    try:
        await server.serve()
    finally:
        await observability.stop()


def main() -> None:
    """Build the settings from the environment and serve until interrupted."""
    asyncio.run(serve(SimulatorSettings(), MetricsSettings()))


if __name__ == "__main__":
    main()
