"""The object store port and its MinIO adapter. The minio SDK is synchronous (its maintainers
declined an asyncio API), so every call runs in a worker thread.

Big objects are streamed: `put_stream` writes an object from chunks as they are produced, by
S3 multipart upload, holding a few parts at most. The head of the object is written last, so
that it can carry counts only known once the body is complete.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterable, AsyncIterator, Callable
from typing import Protocol, runtime_checkable

from minio import Minio
from minio.datatypes import Part
from minio.error import S3Error

from shared.settings import MinioSettings

CHUNK = 256 * 1024
# S3 wants every part but the last to be at least 5 MiB; memory holds about three parts.
PART_SIZE = 8 * 2**20
Head = Callable[[], bytes]


class ObjectNotFound(LookupError):
    """The object is gone (deleted after its event was sent): retrying cannot help."""


class ObjectStore(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def lines(self, key: str) -> AsyncIterator[bytes]:
        """The object's lines, read in chunks: memory is bounded by the longest line."""
        ...


class ObjectLister(Protocol):
    async def keys(self, prefix: str) -> list[str]: ...


@runtime_checkable
class StreamingObjectStore(ObjectStore, Protocol):
    async def put_stream(
        self, key: str, body: AsyncIterable[bytes], head: Head, content_type: str
    ) -> None:
        """One object: `head()` then the body's chunks, without holding the body. `head` is
        called once the body is exhausted. Nothing is visible under `key` unless all of it is
        written: a failure leaves the previous object, if any."""
        ...


async def put_stream(
    store: ObjectStore,
    key: str,
    body: AsyncIterable[bytes],
    head: Head,
    content_type: str = "application/x-ndjson",
) -> None:
    """Stream the object where the store can; a store that cannot gets it whole."""
    if isinstance(store, StreamingObjectStore):
        await store.put_stream(key, body, head, content_type)
        return
    chunks = [chunk async for chunk in body]
    await store.put(key, b"".join([head(), *chunks]), content_type)


def minio_client(settings: MinioSettings) -> Minio:
    return Minio(
        settings.endpoint,
        access_key=settings.access_key,
        secret_key=settings.secret_key.get_secret_value(),
        secure=settings.secure,
        region=settings.region or None,
    )


class MinioObjectStore:
    def __init__(
        self, settings: MinioSettings, client: Minio | None = None, part_size: int = PART_SIZE
    ) -> None:
        self._bucket = settings.bucket
        self._client = client or minio_client(settings)
        self._part_size = part_size

    async def put(self, key: str, data: bytes, content_type: str = "application/x-ndjson") -> None:
        await asyncio.to_thread(
            self._client.put_object,
            self._bucket,
            key,
            io.BytesIO(data),
            len(data),
            content_type=content_type,
        )

    async def put_stream(
        self,
        key: str,
        body: AsyncIterable[bytes],
        head: Head,
        content_type: str = "application/x-ndjson",
    ) -> None:
        """The body's first part is kept until the end and uploaded last, as part 1 with the
        head in front; the later parts go up as they fill. An object smaller than a part is
        one plain PUT."""
        upload = _Multipart(self._client, self._bucket, key, content_type)
        first, part = bytearray(), bytearray()
        try:
            async for chunk in body:
                if len(first) < self._part_size:
                    first += chunk
                    continue
                part += chunk
                if len(part) >= self._part_size:
                    await upload.part(bytes(part))
                    part.clear()
            if not upload.started and not part:
                await self.put(key, head() + first, content_type)
                return
            if part:
                await upload.part(bytes(part))
            await upload.complete(head() + first)
        except BaseException:
            await upload.abort()
            raise

    async def keys(self, prefix: str) -> list[str]:
        """Every object key under `prefix` (the reconciler compares them with the loads)."""

        def listing() -> list[str]:
            found = self._client.list_objects(self._bucket, prefix=prefix, recursive=True)
            return [o.object_name for o in found if o.object_name is not None]

        return await asyncio.to_thread(listing)

    async def lines(self, key: str) -> AsyncIterator[bytes]:
        try:
            response = await asyncio.to_thread(self._client.get_object, self._bucket, key)
        except S3Error as exc:
            if exc.code == "NoSuchKey":
                raise ObjectNotFound(f"no object {key} in {self._bucket}") from exc
            raise
        try:
            pending = b""
            while chunk := await asyncio.to_thread(response.read, CHUNK):
                pending += chunk
                *complete, pending = pending.split(b"\n")
                for line in complete:
                    if line.strip():
                        yield line
            if pending.strip():
                yield pending
        finally:
            response.close()
            response.release_conn()


class _Multipart:
    """One S3 multipart upload whose part 1 is sent last. minio-py's public `put_object` only
    sends parts in order, so this uses its multipart calls directly (minio is pinned)."""

    def __init__(self, client: Minio, bucket: str, key: str, content_type: str) -> None:
        self._client, self._bucket, self._key = client, bucket, key
        self._content_type = content_type
        self._upload_id: str | None = None
        self._parts: list[Part] = []

    @property
    def started(self) -> bool:
        return self._upload_id is not None

    async def part(self, data: bytes) -> None:
        """The next part, numbered from 2: number 1 is kept for the head."""
        if self._upload_id is None:
            self._upload_id = await asyncio.to_thread(
                self._client._create_multipart_upload,
                self._bucket,
                self._key,
                {"Content-Type": self._content_type},
            )
        await self._send(len(self._parts) + 2, data)

    async def complete(self, first: bytes) -> None:
        assert self._upload_id is not None
        await self._send(1, first)
        parts = sorted(self._parts, key=lambda p: p.part_number)
        await asyncio.to_thread(
            self._client._complete_multipart_upload,
            self._bucket,
            self._key,
            self._upload_id,
            parts,
        )
        self._upload_id = None

    async def abort(self) -> None:
        """Drop the parts sent so far (S3 keeps them, billed, until aborted)."""
        if self._upload_id is not None:
            upload_id, self._upload_id = self._upload_id, None
            await asyncio.to_thread(
                self._client._abort_multipart_upload, self._bucket, self._key, upload_id
            )

    async def _send(self, number: int, data: bytes) -> None:
        assert self._upload_id is not None
        etag = await asyncio.to_thread(
            self._client._upload_part, self._bucket, self._key, data, None, self._upload_id, number
        )
        self._parts.append(Part(number, etag))


__all__ = [
    "PART_SIZE",
    "MinioObjectStore",
    "ObjectLister",
    "ObjectNotFound",
    "ObjectStore",
    "StreamingObjectStore",
    "minio_client",
    "put_stream",
]
