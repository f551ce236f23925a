"""A Consumer's router, declared before its handling is bound: the body it hands on is the raw
message, so what does not parse is dead-lettered with its reason, and the lifespan's binding
is what runs."""

from __future__ import annotations

import pytest
from faststream import FastStream
from faststream.kafka import KafkaBroker, TestKafkaBroker
from pydantic import BaseModel, Field

from shared.clients.channels import Publication
from shared.clients.consumer import Delivery
from shared.clients.routing import Consumer, Handling, Subscription
from tests.fakes.kafka import INSTANT_RETRIES, TopicRecorder

pytestmark = pytest.mark.unit
TOPIC = "t.jobs"


class Job(BaseModel):
    n: int = Field(description="Which job")


class Done(BaseModel):
    n: int


JOBS = Subscription(TOPIC, group_id="g", model=Job, title="jobs", description="Do the job")
DONE = Publication("t.done", Done, "done", "Done")


class Rig:
    def __init__(self) -> None:
        self.broker = KafkaBroker()
        self.consumer = Consumer(JOBS, publishes=[DONE])
        self.broker.include_router(self.consumer.router)
        self.dlq = TopicRecorder(self.broker, f"{TOPIC}.dlq")
        self.done: list[int] = []
        self.invalid: list[tuple[bytes, str]] = []

    def bind(self) -> None:
        async def work(job: Job, _: Delivery) -> None:
            self.done.append(job.n)

        async def on_invalid(body: bytes, _: Delivery, reason: str) -> None:
            self.invalid.append((body, reason))

        self.consumer.bind(self.broker, Handling(work, on_invalid, INSTANT_RETRIES))


class TestBoundLater:
    async def test_the_binding_made_after_the_router_was_included_does_the_work(self) -> None:
        """The router is in the broker from the start; the handling bound later gets the
        parsed message."""
        rig = Rig()
        rig.bind()

        async with TestKafkaBroker(rig.broker):
            await rig.broker.publish({"n": 7}, TOPIC)

        assert ([7], []) == (rig.done, rig.dlq.messages)


class TestMalformed:
    @pytest.mark.parametrize(
        "body", [b"not json {", b'{"n": "seven"}', b"[]", b"", b"\xff\xfe"], ids=repr
    )
    async def test_what_does_not_parse_is_dead_lettered_as_sent(self, body: bytes) -> None:
        """FastStream's own decoding is out of the way: the bytes reach the DLQ unchanged,
        with the model's validation error as the reason, and `on_invalid` hears of it."""
        rig = Rig()
        rig.bind()

        async with TestKafkaBroker(rig.broker):
            await rig.broker.publish(body, TOPIC)
            await rig.broker.publish({"n": 8}, TOPIC)

        (dead,) = rig.dlq.messages
        assert (body, [8]) == (dead.body, rig.done)
        assert dead.headers["x-dead-letter-reason"].startswith("invalid Job: ")
        assert [(body, dead.headers["x-dead-letter-reason"])] == rig.invalid


class TestDocument:
    def test_the_subscriber_documents_the_model_and_the_publishers_theirs(self) -> None:
        """What `faststream docs gen` reads: the model as the received payload, the declared
        publication and the dead-letter twin as sent, all before any binding."""
        broker = KafkaBroker()
        broker.include_router(Consumer(JOBS, publishes=[DONE]).router)
        doc = FastStream(broker).schema.to_specification().to_jsonable()

        messages = doc["components"]["messages"]
        assert {
            "jobs:SubscribeMessage": "Job",
            "done:Message": "Done",
            "jobs dead letters:Message": "jobs%20dead%20letters:Message:Payload",
        } == {name: m["payload"]["$ref"].rsplit("/", 1)[1] for name, m in messages.items()}
        assert {"receive": ["t.jobs"], "send": ["t.done", "t.jobs.dlq"]} == {
            action: sorted(
                doc["channels"][name]["address"]
                for name, op in doc["operations"].items()
                if op["action"] == action
            )
            for action in ("receive", "send")
        }
