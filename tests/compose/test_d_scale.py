"""`docker compose up -d --scale fetcher=3 --scale loader=2`: the replicas share one run's batches
(each replica's own log shows work for it) and the stored bars stay exactly the simulator's."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import pytest

from .driving import loaded, request_run, truth, wait_finished, work_per_replica
from .project import Compose

pytestmark = pytest.mark.compose

RUN_ID = "compose-scaled"
# Another range than the first run's, so these bars are this run's alone.
RANGE = (date(2023, 7, 3), date(2023, 9, 29))
SCALE = {"fetcher": 3, "loader": 2}


@pytest.fixture(scope="module")
async def scaled_run(running: Compose) -> dict[str, Any]:
    running.up("--scale", "fetcher=3", "--scale", "loader=2")
    # 20 batches on 6 partitions: a replica without work would be a real imbalance, not luck.
    request_run(running, RUN_ID, *RANGE, max_tickers=40, batch_size=2)
    status = await wait_finished(running, RUN_ID)
    tickers, bars = await loaded(running, RUN_ID, *RANGE)
    return {
        "status": status,
        "tickers": tickers,
        "bars": bars,
        "fetcher": work_per_replica(running, "fetcher", RUN_ID, "batch_fetched"),
        "loader": work_per_replica(running, "loader", RUN_ID, "object_loaded", kind="daily_bars"),
    }


class TestScaledReplicas:
    @pytest.mark.parametrize("service", sorted(SCALE))
    def test_every_replica_worked_on_the_run(
        self, running: Compose, scaled_run: dict[str, Any], service: str
    ) -> None:
        """Each replica logged some of the run's 20 bar batches; together, each batch once."""
        per_replica: Counter[str] = scaled_run[service]
        print(f"{service} batches per replica: {dict(sorted(per_replica.items()))}")  # noqa: T201

        assert SCALE[service] == len(running.containers(service))
        assert SCALE[service] == len(per_replica)
        assert all(n > 0 for n in per_replica.values())
        assert 20 == sum(per_replica.values())

    def test_counts_stay_exact(self, running: Compose, scaled_run: dict[str, Any]) -> None:
        """No bar lost or doubled by the extra replicas: raw equals the simulator's truth."""
        expected = truth(running, scaled_run["tickers"], *RANGE)

        assert "succeeded" == scaled_run["status"]
        assert 40 == len(scaled_run["tickers"])
        assert expected == scaled_run["bars"]
