"""The e2e tier: every service a real process (2 fetchers, 2 loaders), the simulator, dbt."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from services.polygon_sim.market.market import Market
from shared.messages import RunEvent, topics
from testbed.kafka_tail import end_offsets, tail
from testbed.pipeline import Pipeline, running_pipeline

SEED, UNIVERSE = 7, 40
HISTORY = (date(2023, 1, 3), date(2024, 12, 31))
H1 = (date(2024, 1, 2), date(2024, 6, 28))
# The simulator's clock starts at the end of H1; the corporate-action tests (which run first)
# move it to the end of the history, past a 2-for-1, a 1-for-10 and dividends.
T1, T2 = H1[1], HISTORY[1]
# An API key unlike anything else in the warehouse, so test_zz_secrets can look for it anywhere.
API_KEY = "e2e-K3y_w1th/odd+chars&=%20"


def malformed_ticker() -> str:
    """A listed, never-delisted ordinary ticker the simulator will always answer badly."""
    market = Market(SEED, UNIVERSE, *HISTORY)
    plain = [
        x.ticker
        for x in market.tickers()
        if not x.delisted and x.ticker.isalpha() and x.ticker.isupper()
    ]
    return plain[len(plain) // 2]


@pytest.fixture(scope="session")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    sim_env = {
        "SIM_SEED": str(SEED),
        "SIM_UNIVERSE_SIZE": str(UNIVERSE),
        "SIM_HISTORY_START": HISTORY[0].isoformat(),
        "SIM_HISTORY_END": HISTORY[1].isoformat(),
        "SIM_TODAY": T1.isoformat(),
        "SIM_API_KEYS": f'["{API_KEY}"]',
        "SIM_BAD_CORPORATE_ACTIONS": "true",
        "SIM_MALFORMED_TICKERS": f'["{malformed_ticker()}"]',
        # Faults the client must absorb without losing a bar.
        "SIM_LATENCY_MEAN_MS": "5",
        "SIM_ERROR_5XX_SHARE": "0.05",
    }
    service_env = {
        "POLYGON_API_KEY": API_KEY,
        "POLYGON_RATE_LIMIT_PER_S": "500",
        "POLYGON_MAX_RETRY_S": "60",
        "TRANSFORMER_SWEEP_INTERVAL_S": "3",
        "FETCHER_CONCURRENCY": "8",
        "LISTER_HISTORY_START": H1[0].isoformat(),
    }
    counts = {"lister": 1, "fetcher": 2, "loader": 2, "transformer": 1}
    with running_pipeline(tmp_path_factory.mktemp("e2e-state"), sim_env, service_env, counts) as p:
        yield p


@pytest.fixture(scope="session")
async def first_run(pipeline: Pipeline) -> dict[str, Any]:
    """One run over the whole simulated universe for the first half of 2024, with its events."""
    mark = await end_offsets(pipeline.kafka, topics.RUN_EVENTS)
    run_id = await pipeline.request_run(**{"from": H1[0], "to": H1[1]}, batch_size=8)
    row = await pipeline.wait_finished(run_id)
    events: list[RunEvent] = []
    async with tail(pipeline.kafka, topics.RUN_EVENTS, start=mark) as t:
        try:
            while True:
                rec = await t.wait_for(lambda r: r.key == run_id.encode(), timeout_s=3)
                events.append(RunEvent.model_validate_json(rec.value))
        except TimeoutError:
            pass
    return {"run_id": run_id, "row": row, "events": events}
