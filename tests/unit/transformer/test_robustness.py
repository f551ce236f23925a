"""The transformer under faults: dbt off the poll loop, a heartbeat that fails, an end of run
written through a failing database, events that leave through the outbox, and batch ids the
lister never registered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker

from services.transformer.core import DataTestResult, DbtOutcome
from services.transformer.handlers import build_router
from services.transformer.service import Transformer
from shared.messages import RunStatus, topics
from tests.fakes.kafka import INSTANT_RETRIES, TopicRecorder
from tests.fakes.transformer import FakeControlRepository, FakeDbtRunner

from .test_handlers import BATCHES, loaded

pytestmark = pytest.mark.unit


class SlowDbt(FakeDbtRunner):
    """A build that lasts until the test lets it end."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()

    async def build(self, run_id: str, on_progress: Any = None) -> Any:
        self.builds.append(run_id)
        await self.release.wait()
        return self.outcome


class Rig:
    def __init__(self, dbt: FakeDbtRunner, heartbeat_s: float = 3600) -> None:
        self.broker, self.repo, self.dbt = KafkaBroker(), FakeControlRepository(), dbt
        self.repo.add_run("r1", BATCHES, total_batches=len(BATCHES))
        self.service = Transformer(self.repo, dbt, self.broker, heartbeat_s)
        self.broker.include_router(build_router(self.broker, self.service, INSTANT_RETRIES))
        self.events = TopicRecorder(self.broker, topics.RUN_EVENTS)

    async def deliver_all(self, batches: list[str] = BATCHES) -> None:
        for batch_id in batches:
            await self.broker.publish(
                loaded(batch_id), topic=topics.BATCH_LOADED, key=f"r1/{batch_id}".encode()
            )

    def finished(self) -> list[str]:
        return [e["status"] for e in self.events.bodies() if e["kind"] == "finished"]


@pytest.fixture
async def no_waits(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    """The end-of-run retries wait 0 s."""
    real_sleep = asyncio.sleep
    # The service module sleeps through asyncio.sleep: this one.
    monkeypatch.setattr(asyncio, "sleep", lambda s: real_sleep(0))
    yield


class TestOffThePollLoop:
    async def test_the_handler_returns_while_dbt_builds(self) -> None:
        """The last batch's event is handled (its offset can be committed) before dbt ends;
        the run ends once the build does."""
        rig = Rig(SlowDbt())
        async with TestKafkaBroker(rig.broker), rig.service.running():
            await rig.deliver_all()
            building = (rig.dbt.builds, rig.repo.runs["r1"].status)
            assert isinstance(rig.dbt, SlowDbt)
            rig.dbt.release.set()
            await rig.service.idle()

        assert ((["r1"], RunStatus.TRANSFORMING), RunStatus.SUCCEEDED) == (
            building,
            rig.repo.runs["r1"].status,
        )

    async def test_a_held_claim_is_renewed_while_it_waits_and_builds(self) -> None:
        """Every beat renews the claims this process holds, so no sweep takes them over."""
        rig = Rig(SlowDbt(), heartbeat_s=0.01)
        async with TestKafkaBroker(rig.broker), rig.service.running():
            await rig.deliver_all()
            await asyncio.sleep(0.1)
            assert isinstance(rig.dbt, SlowDbt)
            rig.dbt.release.set()
            await rig.service.idle()

        assert rig.repo.runs["r1"].heartbeats >= 3


class TestFaults:
    async def test_a_failing_heartbeat_never_skips_the_end_of_the_run(self) -> None:
        """Renewals that raise are logged and retried; the build still ends the run once."""
        rig = Rig(SlowDbt(), heartbeat_s=0.01)

        async def broken(run_ids: list[str]) -> None:
            raise ConnectionError("postgres restarting")

        rig.repo.heartbeat = broken  # type: ignore[method-assign]
        async with TestKafkaBroker(rig.broker), rig.service.running():
            await rig.deliver_all()
            await asyncio.sleep(0.05)
            assert isinstance(rig.dbt, SlowDbt)
            rig.dbt.release.set()
            await rig.service.idle()

        assert (RunStatus.SUCCEEDED, ["succeeded"]) == (
            rig.repo.runs["r1"].status,
            rig.finished(),
        )

    async def test_the_end_of_a_run_is_written_through_a_failing_database(
        self, no_waits: None
    ) -> None:
        """finish() fails twice (Postgres restarting): retried, the run ends, dbt ran once."""
        rig = Rig(FakeDbtRunner())
        real_finish, failures = rig.repo.finish, [ConnectionError("a"), ConnectionError("b")]

        async def flaky(*args: Any) -> None:
            if failures:
                raise failures.pop()
            await real_finish(*args)

        rig.repo.finish = flaky  # type: ignore[method-assign,assignment]
        async with TestKafkaBroker(rig.broker), rig.service.running():
            await rig.deliver_all()
            await rig.service.idle()

        assert (RunStatus.SUCCEEDED, ["r1"], ["succeeded"]) == (
            rig.repo.runs["r1"].status,
            rig.dbt.builds,
            rig.finished(),
        )

    @pytest.mark.parametrize(
        ("restarts", "builds", "status"),
        [
            (0, 1, RunStatus.FAILED),  # the data failed the build: built once, the run fails
            (1, 2, RunStatus.SUCCEEDED),  # the database restarted under it: built again
            (5, 3, RunStatus.FAILED),  # it keeps restarting: three builds, then the run fails
        ],
    )
    async def test_a_build_the_database_restarted_under_is_built_again(
        self, restarts: int, builds: int, status: RunStatus
    ) -> None:
        """Each restart fails the build it happens under; the build after the last succeeds."""
        broken = DbtOutcome(ok=False, models_failed=14, error="connection lost")
        rig = Rig(FakeDbtRunner(None, *[broken] * max(restarts, 1)))
        rig.repo.restarts_during_builds = restarts
        async with TestKafkaBroker(rig.broker), rig.service.running():
            await rig.deliver_all()
            await rig.service.idle()

        assert (status, ["r1"] * builds, [status.value]) == (
            rig.repo.runs["r1"].status,
            rig.dbt.builds,
            rig.finished(),
        )

    async def test_a_restart_after_dbt_ended_retries_the_triage_not_the_build(
        self, no_waits: None
    ) -> None:
        """The database restarts while the build's failures are triaged: dbt ran once, the
        warning is triaged and recorded once, the run succeeds."""
        warned = DataTestResult("test.p.stale", "warn", 2, "Got 2 results", "dbt_test.stale")
        rig = Rig(FakeDbtRunner(DbtOutcome(ok=True, tests=(warned,))))
        rig.repo.stored_failures["dbt_test.stale"] = [{"ticker": "A"}, {"ticker": "B"}]
        real, down = rig.repo.previous_failures, [ConnectionRefusedError("restarting")]

        async def flaky(run_id: str) -> set[tuple[str, str]]:
            if down:
                raise down.pop()
            return await real(run_id)

        rig.repo.previous_failures = flaky  # type: ignore[method-assign]
        async with TestKafkaBroker(rig.broker), rig.service.running():
            await rig.deliver_all()
            await rig.service.idle()

        assert (RunStatus.SUCCEEDED, ["r1"], 2, []) == (
            rig.repo.runs["r1"].status,
            rig.dbt.builds,
            len(rig.repo.failures["r1"]),
            down,
        )


class TestOutbox:
    async def test_events_lost_at_publish_are_relayed_by_the_next_sweep(self) -> None:
        """The broker fails when the run ends: the run is stored as finished and its event
        waits in the outbox; the next sweep publishes it, once."""
        rig = Rig(FakeDbtRunner())
        async with TestKafkaBroker(rig.broker), rig.service.running():
            real_publish = rig.broker.publish

            async def down(*args: Any, **kwargs: Any) -> Any:
                if kwargs.get("topic") == topics.RUN_EVENTS and isinstance(args[0], bytes):
                    raise ConnectionError("kafka down")
                return await real_publish(*args, **kwargs)

            rig.broker.publish = down  # type: ignore[method-assign]
            await rig.deliver_all()
            await rig.service.idle()
            lost = (rig.repo.runs["r1"].status, rig.finished())
            rig.broker.publish = real_publish  # type: ignore[method-assign]
            await rig.service.sweep(stale_after_s=60, stall_after_s=1800)
            await rig.service.sweep(stale_after_s=60, stall_after_s=1800)

        assert ((RunStatus.SUCCEEDED, []), ["succeeded"]) == (lost, rig.finished())


class TestRegisteredBatchesOnly:
    async def test_a_batch_the_lister_never_registered_cannot_complete_a_run(self) -> None:
        """All but one real batch, plus a forged one: the count stays one short, no build."""
        rig = Rig(FakeDbtRunner())
        async with TestKafkaBroker(rig.broker), rig.service.running():
            await rig.deliver_all([*BATCHES[:-1], "b99999"])
            await rig.service.idle()

        assert ([], RunStatus.RUNNING) == (rig.dbt.builds, rig.repo.runs["r1"].status)
