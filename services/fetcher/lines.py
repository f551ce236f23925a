"""How the fetcher's lines flow: workers put each line in a bounded queue as soon as it is
complete, the object writer drains it, and a tally counts what went by for the header."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from shared.clients.polygon import DailyBar, PolygonError


@dataclass
class Tally:
    """What the summary line and the header count, gathered as the lines go by."""

    items: int = 0
    failed: int = 0
    bars: int = 0
    size: int = 0  # bytes

    def add(self, result: list[DailyBar] | PolygonError) -> None:
        self.items += 1
        if isinstance(result, PolygonError):
            self.failed += 1
        else:
            self.bars += len(result)

    async def counted(self, lines: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        async for line in lines:
            self.size += len(line)
            yield line


async def drained(
    queue: asyncio.Queue[bytes | None], workers: list[Coroutine[Any, Any, None]]
) -> AsyncIterator[bytes]:
    """The lines the workers put, until they are all done. A worker's unexpected error stops
    the others and is raised here; a reader that stops early cancels the workers."""
    failure: BaseException | None = None

    async def run() -> None:
        nonlocal failure
        try:
            async with asyncio.TaskGroup() as group:
                for w in workers:
                    group.create_task(w)
        except BaseExceptionGroup as errors:
            failure = errors.exceptions[0]
        await queue.put(None)  # not reached when cancelled: nobody reads any more

    task = asyncio.create_task(run())
    try:
        while (line := await queue.get()) is not None:
            yield line
        await task
        if failure is not None:
            raise failure
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
