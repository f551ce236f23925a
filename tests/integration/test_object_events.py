"""MinIO's bucket notifications reach Kafka: the path the whole pipeline rests on."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator

import pytest

from deploy.local.launcher import kafka as kafka_server
from deploy.local.launcher.layout import Layout
from shared.bootstrap import bootstrap_storage, bootstrap_topics
from shared.clients.storage import minio_client
from shared.messages import ObjectCreated
from shared.messages.topics import RAW_OBJECT_EVENTS
from shared.settings import MinioSettings, StackSettings
from testbed.kafka_tail import end_offsets, tail
from testbed.names import unique
from testbed.stack import Stack

pytestmark = pytest.mark.integration


@pytest.fixture
async def bucket(stack: Stack) -> AsyncIterator[MinioSettings]:
    """A fresh bucket with the production notification rule."""
    await bootstrap_topics(stack.kafka)
    settings = stack.minio.model_copy(update={"bucket": unique("test-events")})
    await bootstrap_storage(settings)
    yield settings
    client = minio_client(settings)
    for obj in client.list_objects(settings.bucket, recursive=True):
        client.remove_object(settings.bucket, obj.object_name)
    client.remove_bucket(settings.bucket)


def _put(settings: MinioSettings, key: str, body: bytes = b'{"x": 1}') -> None:
    minio_client(settings).put_object(
        settings.bucket, key, io.BytesIO(body), len(body), content_type="application/json"
    )


def _for(settings: MinioSettings, key: str):  # type: ignore[no-untyped-def]
    def match(record) -> bool:  # type: ignore[no-untyped-def]
        event = ObjectCreated.model_validate_json(record.value)
        return event.bucket == settings.bucket and event.key == key

    return match


class TestObjectCreatedEvents:
    async def test_put_object_yields_an_event_with_the_key_decoded(
        self, stack: Stack, bucket: MinioSettings
    ) -> None:
        """A put under the raw prefix arrives on the events topic with its exact key."""
        key = "raw/polygon/run=42/batch 7.x.json"
        async with tail(stack.kafka.bootstrap_servers, RAW_OBJECT_EVENTS) as t:
            await asyncio.to_thread(_put, bucket, key)
            record = await t.wait_for(_for(bucket, key), timeout_s=30)

        event = ObjectCreated.model_validate_json(record.value)
        assert key == event.key
        assert "s3:ObjectCreated:Put" == event.event_name
        assert f"{bucket.bucket}/{key}".encode() == record.key
        assert 8 == event.record.s3.object.size

    async def test_objects_outside_the_raw_prefix_are_not_announced(
        self, stack: Stack, bucket: MinioSettings
    ) -> None:
        """Only the raw prefix triggers loading: a put elsewhere yields no event."""
        async with tail(stack.kafka.bootstrap_servers, RAW_OBJECT_EVENTS) as t:
            await asyncio.to_thread(_put, bucket, "scratch/ignored.json")
            await asyncio.to_thread(_put, bucket, "raw/marker.json")
            first = await t.wait_for(lambda r: bucket.bucket.encode() in (r.key or b""), 30)

        assert f"{bucket.bucket}/raw/marker.json".encode() == first.key


class TestKafkaOutage:
    async def test_an_object_written_while_kafka_is_down_is_announced_when_it_is_back(
        self, stack: Stack, bucket: MinioSettings
    ) -> None:
        """MinIO's queue dir holds the event until Kafka returns: nothing is lost."""
        lay = Layout(StackSettings(), stack.kafka, stack.minio, stack.postgres)
        if not kafka_server.is_running(lay):
            pytest.skip("needs the native stack's Kafka, which this test stops and restarts")
        key = "raw/polygon/during-outage.json"
        mark = await end_offsets(stack.kafka.bootstrap_servers, RAW_OBJECT_EVENTS)
        kafka_server.stop(lay)
        try:
            await asyncio.to_thread(_put, bucket, key)
        finally:
            await asyncio.to_thread(kafka_server.start, lay)
        async with tail(stack.kafka.bootstrap_servers, RAW_OBJECT_EVENTS, start=mark) as t:
            # MinIO's queue resends every few seconds once Kafka is back.
            record = await t.wait_for(_for(bucket, key), timeout_s=60)

        assert key == ObjectCreated.model_validate_json(record.value).key
