"""The object store port and its MinIO adapter. The minio SDK is synchronous (its maintainers
declined an asyncio API), so every call runs in a worker thread."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from typing import Protocol

from minio import Minio
from minio.error import S3Error

from shared.settings import MinioSettings

CHUNK = 256 * 1024


class ObjectNotFound(LookupError):
    """The object is gone (deleted after its event was sent): retrying cannot help."""


class ObjectStore(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def lines(self, key: str) -> AsyncIterator[bytes]:
        """The object's lines, read in chunks: memory is bounded by the longest line."""
        ...


def minio_client(settings: MinioSettings) -> Minio:
    return Minio(
        settings.endpoint,
        access_key=settings.access_key,
        secret_key=settings.secret_key.get_secret_value(),
        secure=settings.secure,
        region=settings.region or None,
    )


class MinioObjectStore:
    def __init__(self, settings: MinioSettings, client: Minio | None = None) -> None:
        self._bucket = settings.bucket
        self._client = client or minio_client(settings)

    async def put(self, key: str, data: bytes, content_type: str = "application/x-ndjson") -> None:
        await asyncio.to_thread(
            self._client.put_object,
            self._bucket,
            key,
            io.BytesIO(data),
            len(data),
            content_type=content_type,
        )

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


__all__ = ["MinioObjectStore", "ObjectNotFound", "ObjectStore", "minio_client"]
