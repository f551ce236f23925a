"""`python -m services.polygon_sim`: serve the simulator with uvicorn, configured by SIM_* vars."""

from __future__ import annotations

import uvicorn

from services.polygon_sim.app import create_app
from services.polygon_sim.settings import SimulatorSettings


def main() -> None:
    """Build the settings from the environment and serve until interrupted."""
    settings = SimulatorSettings()
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=settings.access_log,
    )


if __name__ == "__main__":
    main()
