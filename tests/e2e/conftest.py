"""The e2e tier: every service a real process (2 fetchers, 2 loaders), the simulator, dbt."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from services.polygon_sim.market import Market
from tests.support.pipeline import Pipeline, running_pipeline

SEED, UNIVERSE = 7, 40
HISTORY = (date(2023, 1, 3), date(2024, 12, 31))


def malformed_ticker() -> str:
    """A listed, never-delisted ordinary ticker the simulator will always answer badly."""
    market = Market(SEED, UNIVERSE, *HISTORY)
    plain = [x.ticker for x in market.tickers() if not x.delisted and x.ticker.isalpha()
             and x.ticker.isupper()]
    return plain[len(plain) // 2]


@pytest.fixture(scope="session")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    sim_env = {
        "SIM_SEED": str(SEED), "SIM_UNIVERSE_SIZE": str(UNIVERSE),
        "SIM_HISTORY_START": HISTORY[0].isoformat(), "SIM_HISTORY_END": HISTORY[1].isoformat(),
        "SIM_MALFORMED_TICKERS": f'["{malformed_ticker()}"]',
        # Faults the client must absorb without losing a bar.
        "SIM_LATENCY_MEAN_MS": "5", "SIM_ERROR_5XX_SHARE": "0.05",
    }
    service_env = {
        "POLYGON_RATE_LIMIT_PER_S": "500", "POLYGON_MAX_RETRY_S": "60",
        "TRANSFORMER_SWEEP_INTERVAL_S": "3", "FETCHER_CONCURRENCY": "8",
    }
    counts = {"lister": 1, "fetcher": 2, "loader": 2, "transformer": 1}
    with running_pipeline(tmp_path_factory.mktemp("e2e-state"), sim_env, service_env,
                          counts) as p:
        yield p
