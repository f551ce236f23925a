"""The control schema's names in Python are the ones its migrations allow, and a run's batch
count holds its listing."""

from __future__ import annotations

import re
from importlib import resources
from typing import get_args

import pytest

from shared.db.control import (
    ACTION_BATCH_IDS,
    FINAL_STATUSES,
    TICKERS_BATCH_ID,
    RunStatus,
    batch_count,
)
from shared.messages.v1 import CorporateActions

pytestmark = pytest.mark.unit

_RUNS_CHECK = re.compile(r"check \(status in \(([^)]*)\)\)")


def _last_runs_status_check() -> set[str]:
    """The values of control.runs' status check as the last migration that sets it leaves it."""
    found: set[str] = set()
    migrations = resources.files("shared.db") / "migrations"
    for sql in sorted((m for m in migrations.iterdir() if m.name.endswith(".sql")), key=str):
        text = sql.read_text()
        if "control.runs" not in text:
            continue
        for values in _RUNS_CHECK.findall(text):
            found = set(re.findall(r"'([a-z_]+)'", values))
    return found


class TestNames:
    def test_run_statuses_are_the_ones_the_database_allows(self) -> None:
        """A status added to the check constraint is added to RunStatus, and the other way."""
        allowed = _last_runs_status_check()

        assert allowed == {s.value for s in RunStatus}

    def test_a_final_status_is_neither_listing_running_nor_transforming(self) -> None:
        """`run --wait` and the e2e tier stop on these, and only these."""
        working = {RunStatus.LISTING, RunStatus.RUNNING, RunStatus.TRANSFORMING}

        assert set(RunStatus) - working == set(FINAL_STATUSES)

    def test_every_corporate_action_kind_has_its_batch(self) -> None:
        """Each kind is fetched in one batch; no batch id is the listing's."""
        kinds = set(get_args(CorporateActions))

        assert (kinds, False) == (set(ACTION_BATCH_IDS), TICKERS_BATCH_ID in kinds)


class TestBatchCount:
    @pytest.mark.parametrize(("fetch_batches", "expected"), [(0, 1), (1, 2), (40, 41)])
    def test_the_listing_is_one_batch_of_the_run(self, fetch_batches: int, expected: int) -> None:
        """A run with nothing to fetch still has its listing to load, so it completes."""
        assert expected == batch_count(fetch_batches)
