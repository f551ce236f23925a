"""The object store's fake (`ObjectStore`, `ObjectLister`): a dict of keys to bytes."""

from __future__ import annotations

from collections.abc import AsyncIterator

from shared.clients.storage import ObjectLister, ObjectNotFound, ObjectStore

from ._network import network_pause


class FakeObjectStore:
    """`ObjectStore` over a dict: a put overwrites, as a re-fetch does in MinIO."""

    def __init__(self, fail_puts_with: Exception | None = None) -> None:
        self.objects: dict[str, bytes] = {}
        self.content_types: dict[str, str] = {}
        self.puts: list[str] = []
        self._fail_puts_with = fail_puts_with

    async def put(self, key: str, data: bytes, content_type: str = "application/x-ndjson") -> None:
        await network_pause()
        if self._fail_puts_with is not None:
            raise self._fail_puts_with
        self.objects[key] = data
        self.content_types[key] = content_type
        self.puts.append(key)

    async def keys(self, prefix: str) -> list[str]:
        return sorted(k for k in self.objects if k.startswith(prefix))

    async def lines(self, key: str) -> AsyncIterator[bytes]:
        if key not in self.objects:
            raise ObjectNotFound(key)  # as the MinIO adapter does on NoSuchKey
        for line in self.objects[key].split(b"\n"):
            if line.strip():
                yield line


# mypy holds the fake to the ports here.
_STORE: type[ObjectStore] = FakeObjectStore
_LISTER: type[ObjectLister] = FakeObjectStore
