"""The reconciler: objects of a quiet run whose batches never loaded (their MinIO notification
was lost) are announced again by the sweep, as MinIO would, once per interval; nothing else is."""

from __future__ import annotations

import pytest

from services.transformer.reconciler import Bucket, Reconciler
from services.transformer.service import Transformer
from shared.messages import ObjectCreated, topics
from tests.fakes.kafka import FakePublisher
from tests.fakes.storage import FakeObjectStore
from tests.fakes.transformer import FakeControlRepository, FakeDbtRunner

pytestmark = pytest.mark.unit
BATCHES = ["tickers", "b00000", "b00001", "splits"]


def key(run_id: str, batch_id: str) -> str:
    return f"raw/polygon/{run_id}/{batch_id}.jsonl"


class Rig:
    def __init__(self) -> None:
        self.publisher, self.repo, self.store = (
            FakePublisher(),
            FakeControlRepository(),
            FakeObjectStore(),
        )
        self.repo.add_run("r1", BATCHES, total_batches=len(BATCHES))
        self.repo.add_run("r2", ["tickers"], total_batches=1)
        self.repo.completed["r1"] = {"tickers", "b00000"}
        for k in [key("r1", b) for b in BATCHES[:3]] + [key("r2", "tickers")]:
            self.store.objects[k] = b"{}"
        reconciler = Reconciler(self.repo, Bucket(self.store, "stocks-raw", "raw/"))
        self.transformer = Transformer(self.repo, FakeDbtRunner(), self.publisher, 3600, reconciler)

    async def sweep(self) -> None:
        await self.transformer.sweep(3600, 3600, quiet_for_s=60)

    def sent(self) -> list[tuple[ObjectCreated, bytes | None]]:
        return [
            (ObjectCreated.model_validate_json(p.message), p.key)
            for p in self.publisher.on(topics.RAW_OBJECT_EVENTS)
        ]

    def keys(self) -> list[str]:
        return [event.key for event, _ in self.sent()]


class TestReconcile:
    async def test_a_quiet_runs_unloaded_objects_are_announced_again(self) -> None:
        """r1 is quiet: b00001's object exists but never loaded, so it is announced; the
        splits batch has no object yet (not fetched), loaded ones and r2 are left alone."""
        rig = Rig()
        rig.repo.quiet.add("r1")

        await rig.sweep()

        assert [key("r1", "b00001")] == rig.keys()

    async def test_the_announcement_is_minios_own_event(self) -> None:
        """Bucket, escaped key and event name as MinIO writes them, keyed bucket/key as MinIO
        keys them: the loader takes it."""
        rig = Rig()
        rig.repo.quiet.add("r1")

        await rig.sweep()

        [(event, key)] = rig.sent()
        assert (
            True,
            "stocks-raw",
            "raw%2Fpolygon%2Fr1%2Fb00001.jsonl",
            b"stocks-raw/raw/polygon/r1/b00001.jsonl",
        ) == (event.is_created, event.bucket, event.record.s3.object.key, key)

    async def test_an_object_is_not_announced_again_within_the_interval(self) -> None:
        """Two sweeps in a row: one announcement (a dead-lettered object is not spammed)."""
        rig = Rig()
        rig.repo.quiet.add("r1")

        await rig.sweep()
        await rig.sweep()

        assert [key("r1", "b00001")] == rig.keys()

    async def test_a_run_making_progress_is_left_alone(self) -> None:
        """No quiet run, no announcement."""
        rig = Rig()

        await rig.sweep()

        assert [] == rig.keys()
