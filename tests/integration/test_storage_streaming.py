"""The MinIO adapter's streamed put on a real MinIO: multipart with the head written last."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from minio import Minio

from shared.clients.storage import PART_SIZE, MinioObjectStore, minio_client
from shared.settings import MinioSettings
from testbed.names import unique
from testbed.stack import Stack

pytestmark = pytest.mark.integration
MIN_PART = 5 * 2**20  # S3's smallest part but the last


@pytest.fixture
def bucket(stack: Stack) -> Iterator[MinioSettings]:
    """A plain bucket of its own (no notification rule: nothing loads it)."""
    settings = stack.minio.model_copy(update={"bucket": unique("test-stream")})
    client = minio_client(settings)
    client.make_bucket(settings.bucket)
    yield settings
    for obj in client.list_objects(settings.bucket, recursive=True):
        client.remove_object(settings.bucket, obj.object_name)
    client.remove_bucket(settings.bucket)


def lines(count: int, width: int = 10_000) -> list[bytes]:
    return [f"{i:08d}".encode() + b"x" * (width - 9) + b"\n" for i in range(count)]


async def body_of(chunks: list[bytes], fail_after: int | None = None) -> AsyncIterator[bytes]:
    for n, chunk in enumerate(chunks):
        if n == fail_after:
            raise ConnectionError("the API went away")
        yield chunk


def stored(settings: MinioSettings, key: str) -> bytes:
    response = minio_client(settings).get_object(settings.bucket, key)
    try:
        return response.read()
    finally:
        response.close()
        response.release_conn()


def pending_uploads(client: Minio, bucket: str, key: str) -> int:
    """Multipart uploads not completed nor aborted (their parts take space until aborted)."""
    result = client._list_multipart_uploads(bucket, prefix=key)
    return len(result.uploads)


class TestStreamedPut:
    async def test_a_body_of_several_parts_is_stored_whole_with_its_head_first(
        self, bucket: MinioSettings
    ) -> None:
        """About 12 MiB in 10 kB lines with 5 MiB parts: the object is the head, asked for
        after the body, then every line in order."""
        body = lines(1_200)
        asked: list[int] = []
        store = MinioObjectStore(bucket, part_size=MIN_PART)

        def head() -> bytes:
            asked.append(len(body))
            return b'{"items": 1200}\n'

        await store.put_stream("raw/big.jsonl", body_of(body), head, "application/x-ndjson")

        assert (b'{"items": 1200}\n' + b"".join(body), [1200]) == (
            stored(bucket, "raw/big.jsonl"),
            asked,
        )

    async def test_a_body_smaller_than_a_part_is_one_plain_put(self, bucket: MinioSettings) -> None:
        """A few lines: the same bytes, no multipart upload left behind."""
        store = MinioObjectStore(bucket)

        await store.put_stream("raw/small.jsonl", body_of(lines(3)), lambda: b"head\n", "text/x")

        assert (b"head\n" + b"".join(lines(3)), 0) == (
            stored(bucket, "raw/small.jsonl"),
            pending_uploads(minio_client(bucket), bucket.bucket, "raw/small.jsonl"),
        )

    async def test_a_body_that_fails_leaves_the_previous_object_and_no_upload(
        self, bucket: MinioSettings
    ) -> None:
        """The body raises after two parts went up: the error comes through, the object
        written before is still there, and the upload is aborted."""
        store = MinioObjectStore(bucket, part_size=MIN_PART)
        await store.put_stream("raw/b.jsonl", body_of(lines(2)), lambda: b"old\n", "text/x")

        with pytest.raises(ConnectionError):
            await store.put_stream(
                "raw/b.jsonl", body_of(lines(1_200), fail_after=1_100), lambda: b"new\n", "x"
            )

        assert (b"old\n" + b"".join(lines(2)), 0) == (
            stored(bucket, "raw/b.jsonl"),
            pending_uploads(minio_client(bucket), bucket.bucket, "raw/b.jsonl"),
        )

    def test_the_default_part_is_at_least_what_s3_allows(self) -> None:
        """Every part but the last must be 5 MiB or more, or the upload is refused."""
        assert PART_SIZE >= MIN_PART
