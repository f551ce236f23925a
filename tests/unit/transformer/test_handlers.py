"""The transformer's subscriber on the in-memory broker, over fakes: batch-loaded events fill the
run's completion set; the one process that claims the complete run builds it with dbt, once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker

from services.transformer.core import DbtOutcome
from services.transformer.handlers import build_router
from services.transformer.service import Transformer
from shared.messages import BatchLoaded, RunStatus, topics
from tests.fakes.kafka import INSTANT_RETRIES, TopicRecorder
from tests.fakes.transformer import FakeControlRepository, FakeDbtRunner

pytestmark = pytest.mark.unit

BATCHES = ["tickers", "b00000", "b00001", "b00002", "b00003"]


def loaded(batch_id: str, run_id: str = "r1") -> BatchLoaded:
    return BatchLoaded(
        run_id=run_id,
        message_id=f"{run_id}/{batch_id}/loaded",
        batch_id=batch_id,
        object_key=f"raw/polygon/{run_id}/{batch_id}.jsonl",
        bars_loaded=10,
        tickers_failed=0,
    )


def transformer_on(
    broker: KafkaBroker, repo: FakeControlRepository, dbt: FakeDbtRunner
) -> Transformer:
    service = Transformer(repo, dbt, broker, heartbeat_s=3600)
    broker.include_router(build_router(broker, service, INSTANT_RETRIES))
    return service


@dataclass
class Replica:
    broker: KafkaBroker
    service: Transformer

    async def deliver(self, body: BatchLoaded | bytes) -> None:
        """Publish, then wait for the builds it queued: dbt runs off the poll loop."""
        key = f"{body.run_id}/{body.batch_id}".encode() if isinstance(body, BatchLoaded) else b"k"
        await self.broker.publish(body, topic=topics.BATCH_LOADED, key=key)
        await self.service.idle()

    async def sweep(self) -> None:
        await self.service.sweep(stale_after_s=60, stall_after_s=1800)
        await self.service.idle()


@dataclass
class Pipeline:
    replica: Replica
    repo: FakeControlRepository
    dbt: FakeDbtRunner
    events: TopicRecorder
    dlq: TopicRecorder

    def kinds(self) -> list[tuple[str, str]]:
        return [(e["kind"], e["status"]) for e in self.events.bodies()]


@pytest.fixture
async def pipeline() -> AsyncIterator[Pipeline]:
    broker = KafkaBroker()
    repo, dbt = FakeControlRepository(), FakeDbtRunner()
    repo.add_run("r1", BATCHES, total_batches=len(BATCHES), tickers_total=7)
    service = transformer_on(broker, repo, dbt)
    events = TopicRecorder(broker, topics.RUN_EVENTS)
    dlq = TopicRecorder(broker, topics.dlq(topics.BATCH_LOADED))
    async with TestKafkaBroker(broker), service.running():
        yield Pipeline(Replica(broker, service), repo, dbt, events, dlq)


class TestCompletionSet:
    @pytest.mark.parametrize(
        "order",
        [
            ["tickers", "b00000", "b00001", "b00002", "b00003", "b00003"],
            ["b00003", "b00001", "b00001", "tickers", "b00000", "b00003", "b00002", "b00000"],
            ["b00002", "b00002", "b00002", "b00000", "b00003", "tickers", "b00001", "tickers"],
        ],
    )
    async def test_dbt_runs_once_when_the_set_reaches_the_total(
        self, pipeline: Pipeline, order: list[str]
    ) -> None:
        """In any order and with duplicates, dbt builds exactly when the last distinct batch
        arrives, and never again."""
        last_new = max(order.index(b) for b in BATCHES)
        builds_after_each = []

        for batch_id in order:
            await pipeline.replica.deliver(loaded(batch_id))
            builds_after_each.append(len(pipeline.dbt.builds))

        assert [0] * last_new + [1] * (len(order) - last_new) == builds_after_each

    async def test_duplicates_add_nothing_to_the_set(self, pipeline: Pipeline) -> None:
        """The set holds each batch once however often it was announced."""
        for batch_id in ["b00000", "b00000", "b00001", "b00000"]:
            await pipeline.replica.deliver(loaded(batch_id))

        assert ({"b00000", "b00001"}, []) == (pipeline.repo.completed["r1"], pipeline.dbt.builds)

    async def test_progress_is_announced_with_the_sets_size(self, pipeline: Pipeline) -> None:
        """Each event publishes progress: batches in the set out of the total."""
        for batch_id in ["b00000", "b00000", "b00001"]:
            await pipeline.replica.deliver(loaded(batch_id))

        assert [(1, 5, "r1/progress/1"), (1, 5, "r1/progress/1"), (2, 5, "r1/progress/2")] == [
            (e["batches_loaded"], e["total_batches"], e["message_id"])
            for e in pipeline.events.bodies()
        ]

    async def test_no_build_before_the_total_is_known(self) -> None:
        """Batches counted while the lister is still listing (no total yet) build nothing."""
        broker, repo, dbt = KafkaBroker(), FakeControlRepository(), FakeDbtRunner()
        repo.add_run("r1", status=RunStatus.LISTING)
        replica = Replica(broker, transformer_on(broker, repo, dbt))

        async with TestKafkaBroker(broker), replica.service.running():
            await replica.deliver(loaded("tickers"))

        assert ({"tickers"}, [], RunStatus.LISTING) == (
            repo.completed["r1"],
            dbt.builds,
            repo.runs["r1"].status,
        )


class TestRunEnd:
    async def test_a_complete_run_is_transformed_and_succeeds(self, pipeline: Pipeline) -> None:
        """Claimed, built under the advisory lock, finished as succeeded, and announced."""
        for batch_id in BATCHES:
            await pipeline.replica.deliver(loaded(batch_id))

        run = pipeline.repo.runs["r1"]
        assert (RunStatus.SUCCEEDED, None, ["r1"], ["r1"]) == (
            run.status,
            run.reason,
            pipeline.repo.claims,
            pipeline.dbt.builds,
        )
        assert [("transforming", "transforming"), ("finished", "succeeded")] == pipeline.kinds()[
            -2:
        ]
        assert ["locked", "unlocked"] == pipeline.repo.lock_log

    async def test_failed_tickers_end_the_run_with_errors(self, pipeline: Pipeline) -> None:
        """Tickers that failed for good make it succeeded_with_errors, with the count."""
        pipeline.repo.runs["r1"].tickers_failed = 2
        for batch_id in BATCHES:
            await pipeline.replica.deliver(loaded(batch_id))

        run = pipeline.repo.runs["r1"]
        finished = pipeline.events.bodies()[-1]
        assert (RunStatus.SUCCEEDED_WITH_ERRORS, "2 tickers failed", 2) == (
            run.status,
            run.reason,
            finished["tickers_failed"],
        )

    async def test_failed_models_fail_the_run(self, pipeline: Pipeline) -> None:
        """A dbt build whose models failed ends the run failed, with dbt's counts kept."""
        pipeline.dbt.outcome = DbtOutcome(ok=False, models_built=3, models_failed=2)
        for batch_id in BATCHES:
            await pipeline.replica.deliver(loaded(batch_id))

        run = pipeline.repo.runs["r1"]
        assert (RunStatus.FAILED, "dbt: 2 models failed", 2) == (
            run.status,
            run.reason,
            (run.dbt_result or {}).get("models_failed"),
        )

    async def test_a_run_with_only_the_tickers_batch_completes(self) -> None:
        """A run that selected no tickers has one batch (the listing); it still ends."""
        broker, repo, dbt = KafkaBroker(), FakeControlRepository(), FakeDbtRunner()
        repo.add_run("r0", ["tickers"], total_batches=1)
        replica = Replica(broker, transformer_on(broker, repo, dbt))

        async with TestKafkaBroker(broker), replica.service.running():
            await replica.deliver(loaded("tickers", "r0"))

        assert (["r0"], RunStatus.SUCCEEDED) == (dbt.builds, repo.runs["r0"].status)


class TestRedelivery:
    async def test_the_final_event_twice_builds_once(self, pipeline: Pipeline) -> None:
        """Redelivering the event that completed the run changes nothing and builds nothing."""
        for batch_id in BATCHES:
            await pipeline.replica.deliver(loaded(batch_id))
        completed, status = set(pipeline.repo.completed["r1"]), pipeline.repo.runs["r1"].status

        await pipeline.replica.deliver(loaded(BATCHES[-1]))

        assert (completed, status, ["r1"]) == (
            pipeline.repo.completed["r1"],
            pipeline.repo.runs["r1"].status,
            pipeline.dbt.builds,
        )

    async def test_a_whole_run_delivered_twice_builds_once(self, pipeline: Pipeline) -> None:
        """Every batch-loaded event of the run, twice over: one build."""
        for batch_id in BATCHES + BATCHES:
            await pipeline.replica.deliver(loaded(batch_id))

        assert ["r1"] == pipeline.dbt.builds


class TestReplicas:
    async def test_two_replicas_over_one_repository_build_once(self) -> None:
        """Batches spread over two transformers (Kafka's partitions), then the last one
        redelivered to both after a rebalance: both see the set complete and try to claim
        it at the same moment; one claim wins, one build."""
        repo, dbt = FakeControlRepository(claim_barrier=asyncio.Barrier(2)), FakeDbtRunner()
        repo.add_run("r1", BATCHES, total_batches=len(BATCHES))
        a, b = KafkaBroker(), KafkaBroker()
        ra, rb = Replica(a, transformer_on(a, repo, dbt)), Replica(b, transformer_on(b, repo, dbt))

        async with (
            TestKafkaBroker(a),
            TestKafkaBroker(b),
            ra.service.running(),
            rb.service.running(),
            asyncio.timeout(10),
        ):
            for i, batch_id in enumerate(BATCHES[:-1]):
                await (ra if i % 2 else rb).deliver(loaded(batch_id))
            await asyncio.gather(ra.deliver(loaded(BATCHES[-1])), rb.deliver(loaded(BATCHES[-1])))
            await asyncio.gather(ra.deliver(loaded(BATCHES[0])), rb.deliver(loaded(BATCHES[1])))

        assert (["r1"], ["r1"], RunStatus.SUCCEEDED) == (
            repo.claims,
            dbt.builds,
            repo.runs["r1"].status,
        )

    async def test_two_replicas_completing_different_batches_at_once_build_once(self) -> None:
        """The last two batches arrive at once on two replicas: whichever sees the full set
        first claims it; the other's claim fails."""
        repo, dbt = FakeControlRepository(), FakeDbtRunner()
        repo.add_run("r1", ["tickers", "b00000"], total_batches=2)
        a, b = KafkaBroker(), KafkaBroker()
        ra, rb = Replica(a, transformer_on(a, repo, dbt)), Replica(b, transformer_on(b, repo, dbt))

        async with (
            TestKafkaBroker(a),
            TestKafkaBroker(b),
            ra.service.running(),
            rb.service.running(),
        ):
            await asyncio.gather(ra.deliver(loaded("tickers")), rb.deliver(loaded("b00000")))

        assert (["r1"], ["r1"]) == (repo.claims, dbt.builds)


class TestSweep:
    async def test_a_run_whose_transformer_died_is_resumed(self, pipeline: Pipeline) -> None:
        """A transforming run with a stale heartbeat is built again by the sweep and ends."""
        pipeline.repo.runs["r1"].status = RunStatus.TRANSFORMING
        pipeline.repo.stale.add("r1")

        await pipeline.replica.sweep()

        assert (["r1"], RunStatus.SUCCEEDED) == (
            pipeline.dbt.builds,
            pipeline.repo.runs["r1"].status,
        )

    async def test_a_stalled_run_is_failed_and_announced(self, pipeline: Pipeline) -> None:
        """A run with no progress for too long ends failed with the reason, without dbt."""
        pipeline.repo.stalled.add("r1")

        await pipeline.replica.sweep()

        assert ([], RunStatus.FAILED, [("finished", "failed")]) == (
            pipeline.dbt.builds,
            pipeline.repo.runs["r1"].status,
            pipeline.kinds(),
        )

    async def test_a_run_complete_before_its_total_was_known_is_built(
        self, pipeline: Pipeline
    ) -> None:
        """The tickers batch of a run with no tickers loads before the lister's transaction
        sets total_batches = 1: no other event will come, so the sweep must claim it."""
        run = pipeline.repo.add_run("r0", status=RunStatus.LISTING)
        await pipeline.replica.deliver(loaded("tickers", "r0"))
        # the lister's register_batches
        run.status, run.total_batches, run.listed = RunStatus.RUNNING, 1, {"tickers"}

        await pipeline.replica.sweep()

        assert (["r0"], RunStatus.SUCCEEDED) == (pipeline.dbt.builds, run.status)


class TestUnusableEvents:
    @pytest.mark.parametrize(
        "body", [b"\xff\xfe", b"[]", b'{"run_id": "r1", "message_id": "m", "batch_id": "b"}']
    )
    async def test_a_malformed_event_is_dead_lettered_with_its_bytes(
        self, pipeline: Pipeline, body: bytes
    ) -> None:
        """Bytes that are not a BatchLoaded go to the .dlq twin; the set is untouched."""
        await pipeline.replica.deliver(body)

        [dead] = pipeline.dlq.messages
        assert (body, b"k", topics.BATCH_LOADED, {}) == (
            dead.body,
            dead.key,
            dead.headers["x-original-topic"],
            pipeline.repo.completed,
        )
        assert dead.headers["x-dead-letter-reason"].startswith("invalid BatchLoaded")

    async def test_an_event_of_an_unknown_run_is_dead_lettered(self, pipeline: Pipeline) -> None:
        """A well-formed event naming a run that does not exist ends in the .dlq twin."""
        await pipeline.replica.deliver(loaded("b00000", run_id="never-registered"))

        assert 1 == len(pipeline.dlq.messages)
