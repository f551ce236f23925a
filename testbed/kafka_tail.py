"""Reading what arrives on a topic from now on, without a consumer group."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition


class Tail:
    def __init__(self, consumer: AIOKafkaConsumer) -> None:
        self._consumer = consumer
        self._pending: deque[ConsumerRecord[bytes, bytes]] = deque()
        self.positions: dict[TopicPartition, int] = {}

    async def wait_for(
        self, match: Callable[[ConsumerRecord[bytes, bytes]], bool], timeout_s: float = 30.0
    ) -> ConsumerRecord[bytes, bytes]:
        """The first record from now on that matches; TimeoutError if none comes in time."""

        async def scan() -> ConsumerRecord[bytes, bytes]:
            while True:
                # Records fetched together but not yet looked at wait for the next call.
                while self._pending:
                    record = self._pending.popleft()
                    if match(record):
                        return record
                batches = await self._consumer.getmany(timeout_ms=500)
                for records in batches.values():
                    self._pending.extend(records)

        return await asyncio.wait_for(scan(), timeout_s)

    async def drain(self) -> list[ConsumerRecord[bytes, bytes]]:
        """Every record from the reader's position up to where each partition ends now."""
        ends = await self._consumer.end_offsets(list(self.positions))
        records = list(self._pending)
        self._pending.clear()
        while [p for p, end in ends.items() if await self._consumer.position(p) < end]:
            for batch in (await self._consumer.getmany(timeout_ms=500)).values():
                records.extend(batch)
        return records


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    """Every partition of the topic; the consumer's metadata may not know the topic yet."""
    for _ in range(50):
        found = consumer.partitions_for_topic(topic)
        if found:
            return [TopicPartition(topic, p) for p in sorted(found)]
        await consumer._client.force_metadata_update()
        consumer._client.add_topic(topic)
        await asyncio.sleep(0.1)
    raise LookupError(f"topic {topic} has no partitions")


async def end_offsets(bootstrap_servers: str, topic: str) -> dict[TopicPartition, int]:
    """Where each partition of `topic` ends now: a mark to read from later."""
    async with tail(bootstrap_servers, topic) as t:
        return t.positions


async def records_since(
    bootstrap_servers: str, topic: str, start: dict[TopicPartition, int]
) -> list[ConsumerRecord[bytes, bytes]]:
    """The records of `topic` from `start` (a mark taken by end_offsets) up to its end now."""
    async with tail(bootstrap_servers, topic, start) as t:
        return await t.drain()


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
        parts = await _partitions(consumer, topic)
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


async def commit_groups_to_end(bootstrap_servers: str, groups: dict[str, str]) -> None:
    """Commit each consumer group's offsets at the end of its topic, so services started next
    begin with what is published from now on, not with older tests' leftovers."""
    for group, topic in groups.items():
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers, group_id=group, enable_auto_commit=False
        )
        await consumer.start()
        try:
            parts = await _partitions(consumer, topic)
            consumer.assign(parts)
            await consumer.seek_to_end(*parts)
            await consumer.commit({p: await consumer.position(p) for p in parts})
        finally:
            await consumer.stop()
