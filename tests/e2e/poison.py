"""Poison for every consumed topic: inputs that once held their partition for good (nacked and
redelivered without end), published on every partition, ahead of a good run.

Each topic gets one message that cannot even be parsed or validated (it must be dead-lettered)
and one that parses but cannot be worked on (a run nobody registered, an object that is not
there): dead-lettered or skipped, as long as the partition moves on."""

from __future__ import annotations

import json
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer

from shared.messages import BatchLoaded, ObjectCreated, topics

RUN = "poison-run"


@dataclass(frozen=True)
class Poison:
    topic: str
    body: bytes
    must_dead_letter: bool


def poison(bucket: str, partition: int) -> list[Poison]:
    """The poison published on `partition` of every consumed topic."""
    batch = {
        "run_id": RUN,
        "message_id": f"{RUN}/b{partition:05d}/fetch",
        "batch_id": f"b{partition:05d}",
        "seq": 0,
        "total_batches": 1,
        "tickers": ["AAPL"],
        "from": "2024-01-02",
        "to": "2024-01-31",
    }
    loaded = BatchLoaded(
        run_id=RUN,
        message_id=f"{RUN}/b{partition:05d}/loaded",
        batch_id=f"b{partition:05d}",
        object_key=f"raw/polygon/{RUN}/b{partition:05d}.jsonl",
        bars_loaded=1,
        tickers_failed=0,
    )
    missing = ObjectCreated.reannounce(bucket, f"raw/polygon/{RUN}/p{partition}.jsonl")
    return [
        # The run id `..` once passed, then broke the object key on every retry.
        Poison(topics.RUN_REQUESTS, b'{"run_id": ".."}', True),
        # Parses, but cannot be run: refused (dead-lettered, or recorded as refused).
        Poison(
            topics.RUN_REQUESTS,
            _json({"run_id": f"{RUN}-p{partition}", "from": "2024-03-10", "to": "2024-03-01"}),
            False,
        ),
        # A NUL byte in a ticker once reached asyncpg after every API call was paid for.
        Poison(topics.TICKER_BATCHES, _json({**batch, "tickers": ["A\u0000B"]}), True),
        Poison(topics.TICKER_BATCHES, _json(batch), False),
        Poison(
            topics.RAW_OBJECT_EVENTS, b'{"EventName": "s3:ObjectCreated:Put", "Records": []}', True
        ),
        Poison(topics.RAW_OBJECT_EVENTS, missing.model_dump_json(by_alias=True).encode(), False),
        Poison(
            topics.BATCH_LOADED,
            _json({**json.loads(loaded.model_dump_json()), "bars_loaded": -1}),
            True,
        ),
        Poison(topics.BATCH_LOADED, loaded.model_dump_json().encode(), False),
    ]


def _json(value: object) -> bytes:
    return json.dumps(value).encode()


async def publish_poison(kafka: str, bucket: str, partitions: int) -> list[Poison]:
    """Every poison on every partition; what was published."""
    sent = []
    producer = AIOKafkaProducer(bootstrap_servers=kafka)
    await producer.start()
    try:
        for p in range(partitions):
            for item in poison(bucket, p):
                await producer.send_and_wait(item.topic, item.body, key=b"poison", partition=p)
                sent.append(item)
    finally:
        await producer.stop()
    return sent
