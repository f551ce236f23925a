"""Reading what arrives on a topic from now on, without a consumer group."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition


class Tail:
    def __init__(self, consumer: AIOKafkaConsumer) -> None:
        self._consumer = consumer
        self.positions: dict[TopicPartition, int] = {}

    async def wait_for(
        self, match: Callable[[ConsumerRecord[bytes, bytes]], bool], timeout_s: float = 30.0
    ) -> ConsumerRecord[bytes, bytes]:
        """The first record from now on that matches; TimeoutError if none comes in time."""

        async def scan() -> ConsumerRecord[bytes, bytes]:
            while True:
                batches = await self._consumer.getmany(timeout_ms=500)
                for records in batches.values():
                    for record in records:
                        if match(record):
                            return record

        return await asyncio.wait_for(scan(), timeout_s)


async def end_offsets(bootstrap_servers: str, topic: str) -> dict[TopicPartition, int]:
    """Where each partition of `topic` ends now: a mark to read from later."""
    async with tail(bootstrap_servers, topic) as t:
        return t.positions


@asynccontextmanager
async def tail(
    bootstrap_servers: str, topic: str, start: dict[TopicPartition, int] | None = None
) -> AsyncIterator[Tail]:
    """Position at `start`, or at the end of every partition of `topic`, then yield a reader."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers, enable_auto_commit=False, group_id=None
    )
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        if not parts:
            await consumer._client.force_metadata_update()
            parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        consumer.assign(parts)
        if start is None:
            await consumer.seek_to_end(*parts)
        else:
            for p in parts:
                consumer.seek(p, start.get(p, 0))
        t = Tail(consumer)
        for p in parts:  # resolve the offsets now, before the caller acts
            t.positions[p] = await consumer.position(p)
        yield t
    finally:
        await consumer.stop()
