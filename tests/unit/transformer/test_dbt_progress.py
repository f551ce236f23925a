"""dbt's progress while it builds: the worker counts nodes from dbt's structured events, and the
runner hands each count on before the build's answer."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from faststream.kafka import TestKafkaBroker
from pydantic import SecretStr

from services.transformer import dbt_worker
from services.transformer.core import DbtOutcome
from services.transformer.dbt_runner import DbtRunner, OnProgress
from services.transformer.dbt_worker import MARKER, Progress
from shared.settings import PostgresSettings
from tests.fakes.transformer import FakeDbtRunner

from .test_robustness import Rig

pytestmark = pytest.mark.unit


def event(
    name: str, materialized: str = "table", resource_type: str = "model", **data: Any
) -> SimpleNamespace:
    node = SimpleNamespace(materialized=materialized, resource_type=resource_type)
    return SimpleNamespace(
        info=SimpleNamespace(name=name), data=SimpleNamespace(node_info=node, **data)
    )


class TestWorkerProgress:
    def test_counts_finished_nodes_of_the_builds_total(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """ConcurrencyLine gives the total and restarts the count; each NodeFinished adds one
        but an ephemeral model's or a unit test's (dbt's total leaves those out); other events
        say nothing."""
        progress = Progress()

        for e in [
            event("ConcurrencyLine", node_count=3),
            event("NodeStart"),
            event("NodeFinished"),
            event("LogTestResult"),
            event("NodeFinished", materialized="ephemeral"),
            event("NodeFinished", resource_type="unit_test"),
            event("NodeFinished"),
        ]:
            progress(e)

        lines = capsys.readouterr().out.splitlines()
        said = [json.loads(x.removeprefix(MARKER)) for x in lines]
        assert [
            {"progress": 0, "total": 3},
            {"progress": 1, "total": 3},
            {"progress": 2, "total": 3},
        ] == said
        assert all(x.startswith(dbt_worker.MARKER) for x in lines)


class TestRunnerProgress:
    async def test_progress_is_handed_on_then_the_answer_returned(self) -> None:
        """Progress lines go to the callback in order; dbt's own lines are kept; the build's
        answer ends the wait."""
        stdout = asyncio.StreamReader()
        for line in [
            MARKER + '{"progress": 0, "total": 2}',
            "dbt says something",
            MARKER + '{"progress": 2, "total": 2}',
            MARKER + '{"done": true, "success": true, "error": null}',
        ]:
            stdout.feed_data((line + "\n").encode())
        stdout.feed_eof()
        pg = PostgresSettings(password=SecretStr("x"))
        runner = DbtRunner(Path("."), pg, timeout_s=5)
        told: list[tuple[int, int | None]] = []

        async def on_progress(done: int, total: int | None) -> None:
            told.append((done, total))

        proc = cast(asyncio.subprocess.Process, SimpleNamespace(stdout=stdout))
        answer = await runner._answer(proc, on_progress)

        assert [(0, 2), (2, 2)] == told
        assert {"done": True, "success": True, "error": None} == answer

    async def test_the_answer_to_this_request_is_found_among_dbt_text_and_stale_answers(
        self,
    ) -> None:
        """dbt's threads may print on the answer's line, before or after it; an answer to an
        earlier request (its reader gave up) is skipped, not taken for this one."""
        stdout = asyncio.StreamReader()
        for line in [
            MARKER + '{"done": true, "id": 1, "success": false, "error": null}',
            "13 of 51 FAIL 1 low_le_high " + MARKER + '{"progress": 3, "total": 5} [FAIL 1]',
            "text " + MARKER + '{"done": true, "id": 2, "success": false, "error": null}tail',
        ]:
            stdout.feed_data((line + "\n").encode())
        stdout.feed_eof()
        runner = DbtRunner(Path("."), PostgresSettings(password=SecretStr("x")), timeout_s=5)
        told: list[tuple[int, int | None]] = []

        async def on_progress(done: int, total: int | None) -> None:
            told.append((done, total))

        proc = cast(asyncio.subprocess.Process, SimpleNamespace(stdout=stdout))
        answer = await runner._answer(proc, on_progress, request_id=2)

        assert [(3, 5)] == told
        assert {"done": True, "id": 2, "success": False, "error": None} == answer


class ProgressingDbt(FakeDbtRunner):
    """A build that reports two of its three nodes, then all three."""

    async def build(self, run_id: str, on_progress: OnProgress | None = None) -> DbtOutcome:
        assert on_progress is not None
        for done in (0, 2, 3):
            await on_progress(done, 3)
        return await super().build(run_id)


class TestServiceProgress:
    async def test_each_count_is_kept_for_the_run(self) -> None:
        """The transformer hands dbt's counts to the run's row as the build goes."""
        rig = Rig(ProgressingDbt())
        async with TestKafkaBroker(rig.broker), rig.service.running():
            await rig.deliver_all()
            await rig.service.idle()

        assert [("r1", 0, 3), ("r1", 2, 3), ("r1", 3, 3)] == rig.repo.progress
