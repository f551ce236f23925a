"""What the scheduler does: at each check, claim the due slots in order and publish their run
requests; sleep until the next slot."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog

from shared.messages import RunRequest
from shared.observability import metrics

from .core import Schedule, Slot, due_slots, run_request

log = structlog.get_logger()
Publish = Callable[[bytes, bytes], Awaitable[None]]  # (payload, key) onto the run-requests topic
Clock = Callable[[], datetime]


class SlotStore(Protocol):
    """What the scheduler needs of control.schedule_slots (repository.SlotRepository)."""

    async def began(self, now: datetime, replica: str) -> datetime: ...

    async def claim(self, slot: Slot, request: RunRequest, cron: str, replica: str) -> bool: ...

    async def publish_pending(self, send: Publish) -> int: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


class Scheduler:
    def __init__(
        self,
        schedule: Schedule,
        repo: SlotStore,
        publish: Publish,
        catchup: int,
        request: dict[str, Any],
        replica: str,
        clock: Clock = utc_now,
    ) -> None:
        self._schedule, self._repo, self._publish = schedule, repo, publish
        self._catchup, self._request, self._replica = catchup, request, replica
        self._clock = clock

    async def check(self) -> list[str]:
        """Start every due slot nobody started (oldest first); the run ids this call started."""
        now = self._clock()
        began = await self._repo.began(now, self._replica)
        started = []
        for slot in due_slots(self._schedule, now, self._catchup, began):
            request = run_request(slot, self._request)
            if await self._repo.claim(slot, request, self._schedule.cron, self._replica):
                metrics.SCHEDULED_SLOTS.labels("started").inc()
                log.info("slot_started", run_id=slot.run_id, slot_at=slot.at.isoformat())
                started.append(slot.run_id)
            else:
                metrics.SCHEDULED_SLOTS.labels("already_run").inc()
        await self.relay()
        return started

    async def relay(self) -> None:
        """Publish the claimed requests not yet on Kafka (this check's, or a crashed
        replica's)."""
        await self._repo.publish_pending(self._publish)

    def seconds_to_next(self, poll_s: float) -> float:
        now = self._clock()
        upcoming = self._schedule.next_slots(now, 1)
        wait = (upcoming[0].at - now).total_seconds() if upcoming else poll_s
        return max(0.05, min(poll_s, wait))

    async def run_forever(self, poll_s: float) -> None:
        """Check, sleep to the next slot (at most poll_s), again; a failed check (Postgres or
        Kafka away) is logged and retried at the next wake."""
        while True:
            try:
                await self.check()
            except Exception as exc:
                log.warning("schedule_check_failed", error=f"{type(exc).__name__}: {exc}"[:300])
            await asyncio.sleep(self.seconds_to_next(poll_s))
