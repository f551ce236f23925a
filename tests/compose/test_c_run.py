"""A run request produced to the compose Kafka goes all the way: raw bars equal to the simulator's
truth, one dbt build, and the run as `docker compose run --rm init stocks-elt status` shows it."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from .driving import loaded, metric, request_run, truth, wait_finished
from .project import Compose

pytestmark = pytest.mark.compose

RUN_ID = "compose-first"
RANGE = (date(2024, 1, 2), date(2024, 3, 28))
DBT_BUILDS = "stocks_elt_dbt_build_seconds_count"


@pytest.fixture(scope="module")
async def first_run(running: Compose) -> dict[str, Any]:
    request_run(running, RUN_ID, *RANGE, max_tickers=12, batch_size=3)
    status = await wait_finished(running, RUN_ID)
    tickers, bars = await loaded(running, RUN_ID, *RANGE)
    return {"status": status, "tickers": tickers, "bars": bars}


class TestARunThroughCompose:
    async def test_raw_bars_equal_the_simulators_truth(
        self, running: Compose, first_run: dict[str, Any]
    ) -> None:
        """Every bar of the run's tickers, as the simulator traded them, and nothing else."""
        expected = truth(running, first_run["tickers"], *RANGE)

        assert 12 == len(first_run["tickers"])
        assert sum(map(len, expected.values())) == sum(map(len, first_run["bars"].values()))
        assert expected == first_run["bars"]

    def test_the_run_succeeded_with_one_dbt_build(
        self, running: Compose, first_run: dict[str, Any]
    ) -> None:
        """The transformer built dbt once for the run (its own /metrics count)."""
        assert "succeeded" == first_run["status"]
        assert 1.0 == metric(running, "transformer", DBT_BUILDS)

    def test_status_in_a_throwaway_init_container_shows_the_run(
        self, running: Compose, first_run: dict[str, Any]
    ) -> None:
        """The CLI as the compose file documents it, reading the same database."""
        shown = json.loads(running.oneshot("stocks-elt", "status", RUN_ID, "--json"))

        assert (RUN_ID, "succeeded") == (shown["run"]["run_id"], shown["run"]["status"])
        assert sum(map(len, first_run["bars"].values())) == shown["run"]["bars"]
        assert shown["run"]["dbt"] is not None
