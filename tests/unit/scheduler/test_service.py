"""The scheduler's checks over an in-memory slot table: each slot started once by two
replicas and across a restart, missed slots caught up in order, a lost publish sent later."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.scheduler.core import Slot, parse_schedule
from services.scheduler.repository import Send
from services.scheduler.service import Scheduler
from shared.messages import RunRequest

pytestmark = pytest.mark.unit
T0 = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)
SCHEDULE = parse_schedule("* * * * * */10", "UTC", "t-%H%M%S", T0)


class FakeSlots:
    """control.schedule_slots in memory, with the same conflict rule."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[datetime, bytes, bool]] = {}
        self.origin: datetime | None = None

    async def began(self, now: datetime, replica: str) -> datetime:
        self.origin = self.origin or now
        return min([self.origin, *(at for at, _, _ in self.rows.values())])

    async def claim(self, slot: Slot, request: RunRequest, cron: str, replica: str) -> bool:
        if slot.run_id in self.rows:
            return False
        self.rows[slot.run_id] = (slot.at, request.model_dump_json(by_alias=True).encode(), False)
        return True

    async def publish_pending(self, send: Send) -> int:
        pending = sorted((at, k) for k, (at, _, done) in self.rows.items() if not done)
        for at, run_id in pending:
            await send(self.rows[run_id][1], run_id.encode())
            self.rows[run_id] = (at, self.rows[run_id][1], True)
        return len(pending)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def replica(slots: FakeSlots, clock: Clock, sent: list[str], catchup: int = 10) -> Scheduler:
    async def publish(payload: bytes, key: bytes) -> None:
        sent.append(RunRequest.model_validate_json(payload).run_id or "")

    return Scheduler(SCHEDULE, slots, publish, catchup, {"max_tickers": 2}, "r", clock)


class TestOncePerSlot:
    async def test_two_replicas_checking_every_second_start_each_slot_once(self) -> None:
        """A minute of checks by two replicas: six slots, six requests, in order."""
        slots, clock, sent = FakeSlots(), Clock(T0), list[str]()
        a, b = replica(slots, clock, sent), replica(slots, clock, sent)

        for second in range(60):
            clock.now = T0 + timedelta(seconds=second)
            await a.check()
            await b.check()

        assert [f"t-1200{s:02d}" for s in range(0, 60, 10)] == sent

    async def test_a_restarted_replica_starts_nothing_twice(self) -> None:
        """A new process over the same table at the same instant publishes nothing."""
        slots, clock, sent = FakeSlots(), Clock(T0), list[str]()
        await replica(slots, clock, sent).check()
        clock.now = T0 + timedelta(seconds=15)
        await replica(slots, clock, sent).check()

        again = await replica(slots, clock, sent).check()

        assert ([], ["t-120000", "t-120010"]) == (again, sent)


class TestNewDeployment:
    async def test_the_first_start_waits_for_the_next_slot(self) -> None:
        """Installed between slots: the slot that fired before it is not started (nobody asked
        for that run); the next one is, and a restart later still catches up from there."""
        slots, clock, sent = FakeSlots(), Clock(T0 + timedelta(seconds=5)), list[str]()
        first = await replica(slots, clock, sent).check()
        clock.now = T0 + timedelta(seconds=35)

        later = await replica(slots, clock, sent).check()

        assert ([], ["t-120010", "t-120020", "t-120030"]) == (first, later)


class TestCatchUp:
    async def test_missed_slots_run_once_each_in_order(self) -> None:
        """Down for 45 s: the four missed slots and the current one, each once, oldest first."""
        slots, clock, sent = FakeSlots(), Clock(T0), list[str]()
        await replica(slots, clock, sent).check()
        clock.now = T0 + timedelta(seconds=50)

        await replica(slots, clock, sent).check()
        await replica(slots, clock, sent).check()

        assert ["t-120000", "t-120010", "t-120020", "t-120030", "t-120040", "t-120050"] == sent

    async def test_catch_up_is_bounded(self) -> None:
        """catchup=1: after the same downtime only the last missed slot and the current one."""
        slots, clock, sent = FakeSlots(), Clock(T0), list[str]()
        await replica(slots, clock, sent, catchup=1).check()
        clock.now = T0 + timedelta(seconds=50)

        await replica(slots, clock, sent, catchup=1).check()

        assert ["t-120000", "t-120040", "t-120050"] == sent


class TestLostPublish:
    async def test_a_claim_whose_publish_failed_is_sent_by_the_next_check(self) -> None:
        """Kafka away at the publish: the slot stays claimed, unpublished, and goes next time."""
        slots, clock, sent = FakeSlots(), Clock(T0), list[str]()

        async def down(payload: bytes, key: bytes) -> None:
            raise ConnectionError("kafka is away")

        broken = Scheduler(SCHEDULE, slots, down, 0, {}, "r", clock)
        with pytest.raises(ConnectionError):
            await broken.check()
        await replica(slots, clock, sent).check()

        assert ["t-120000"] == sent


class TestSleep:
    def test_it_sleeps_to_the_next_slot_but_no_longer_than_the_poll(self) -> None:
        clock = Clock(T0 + timedelta(seconds=3))
        s = replica(FakeSlots(), clock, [])

        assert (7.0, 2.0) == (s.seconds_to_next(30), s.seconds_to_next(2))
