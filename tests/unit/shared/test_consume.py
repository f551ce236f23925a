"""The one way a handler consumes: parse or dead-letter, then work with bounded retries; a
permanent failure is dead-lettered at once, a transient one retried, then dead-lettered, so no
message holds its partition for ever."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from prometheus_client import REGISTRY
from pydantic import BaseModel

from shared.clients.consumer import Permanent, RetryPolicy, consume
from tests.fakes.kafka import TopicRecorder

pytestmark = pytest.mark.unit
TOPIC = "t.in"
POLICY = RetryPolicy(attempts=4, first_wait_s=0.5, max_wait_s=1.5)


class Job(BaseModel):
    n: int


class Rig:
    def __init__(self, work: Callable[[Job], None]) -> None:
        self.broker = KafkaBroker()
        self.waits: list[float] = []
        self.done: list[int] = []
        self.dlq = TopicRecorder(self.broker, f"{TOPIC}.dlq")

        async def sleep(seconds: float) -> None:
            self.waits.append(seconds)

        async def run(job: Job) -> None:
            work(job)
            self.done.append(job.n)

        @self.broker.subscriber(TOPIC, group_id="g")
        async def handle(message: KafkaMessage) -> None:
            await consume(self.broker, message, Job, run, POLICY, sleep)

    def reasons(self) -> list[str]:
        return [m.headers["x-dead-letter-reason"] for m in self.dlq.messages]


def failing(times: int, error: Exception) -> Callable[[Job], None]:
    left = {"n": times}

    def work(job: Job) -> None:
        if job.n == 1 and left["n"] > 0:
            left["n"] -= 1
            raise error

    return work


class TestTransientFailures:
    async def test_a_failure_that_passes_is_retried_with_doubling_waits(self) -> None:
        """Two ConnectionErrors, then it works: done once, waits 0.5 and 1.0 s, no DLQ."""
        rig = Rig(failing(2, ConnectionError("postgres restarting")))

        async with TestKafkaBroker(rig.broker):
            await rig.broker.publish({"n": 1}, TOPIC)

        assert ([1], [0.5, 1.0], []) == (rig.done, rig.waits, rig.reasons())

    async def test_a_failure_that_stays_is_dead_lettered_after_the_attempts(self) -> None:
        """Four attempts, waits capped at 1.5 s, then the DLQ with the last error; the next
        message on the topic is processed."""
        rig = Rig(failing(99, TimeoutError("minio")))

        async with TestKafkaBroker(rig.broker):
            await rig.broker.publish({"n": 1}, TOPIC)
            await rig.broker.publish({"n": 2}, TOPIC)

        assert ([2], [0.5, 1.0, 1.5], ["gave up after 4 attempts: TimeoutError: minio"]) == (
            rig.done,
            rig.waits,
            rig.reasons(),
        )


class TestPermanentFailures:
    @pytest.mark.parametrize(
        ("error", "reason"),
        [
            (Permanent("unknown run 'x'"), "unknown run 'x'"),
            (ValueError("bad date"), "ValueError: bad date"),
            (KeyError("t"), "KeyError: 't'"),
        ],
    )
    async def test_bad_input_found_late_is_dead_lettered_at_once(
        self, error: Exception, reason: str
    ) -> None:
        """No retry can mend bad input: straight to the DLQ with its reason, no wait."""
        rig = Rig(failing(1, error))

        async with TestKafkaBroker(rig.broker):
            await rig.broker.publish({"n": 1}, TOPIC)

        assert ([], [], [reason]) == (rig.done, rig.waits, rig.reasons())

    async def test_an_unparsable_message_never_reaches_the_work(self) -> None:
        """Parse errors are dead-lettered before any side effect."""
        rig = Rig(failing(0, ValueError()))

        async with TestKafkaBroker(rig.broker):
            await rig.broker.publish({"n": "one"}, TOPIC)

        assert ([], 1) == (rig.done, len(rig.reasons()))


class TestDeadLetterMetric:
    async def test_each_dead_letter_is_counted_by_topic_and_kind(self) -> None:
        """/metrics counts dead letters by topic and the reason's kind, never its text."""

        def count(kind: str) -> float:
            labels = {"topic": TOPIC, "reason": kind}
            return REGISTRY.get_sample_value("stocks_elt_dead_letters_total", labels) or 0.0

        before = (count("invalid"), count("permanent"))
        rig = Rig(failing(1, Permanent("no such run")))
        async with TestKafkaBroker(rig.broker):
            await rig.broker.publish({"n": "x"}, TOPIC)
            await rig.broker.publish({"n": 1}, TOPIC)

        assert (1.0, 1.0) == (count("invalid") - before[0], count("permanent") - before[1])
