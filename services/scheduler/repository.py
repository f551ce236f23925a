"""The scheduler's reads and writes of control.schedule_slots: claiming a slot with its run
request, publishing the unpublished ones under a row lock, and what `stocks-elt schedule` shows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from shared.messages import RunRequest

from .core import Slot

Send = Callable[[bytes, bytes], Awaitable[None]]  # (payload, key)


@dataclass(frozen=True)
class ClaimedSlot:
    run_id: str
    slot_at: datetime
    claimed_at: datetime
    claimed_by: str
    published_at: datetime | None
    status: str | None  # the run's, once the lister registered it


class SlotRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def began(self, now: datetime, replica: str) -> datetime:
        """When the schedule began: the first start of any replica (recorded by the first call
        ever), or its oldest slot if older (a deployment that ran slots before the origin was
        recorded). Catch-up never reaches before it."""
        at: datetime = await self._pool.fetchval(
            "with first as (insert into control.schedule_origin (began_at, began_by)"
            " values ($1, $2) on conflict do nothing returning began_at)"
            " select least((select min(slot_at) from control.schedule_slots),"
            " (select began_at from control.schedule_origin), (select began_at from first))",
            now,
            replica,
        )
        return at

    async def claim(self, slot: Slot, request: RunRequest, cron: str, replica: str) -> bool:
        """Start the slot unless someone did; True if this call started it."""
        made = await self._pool.fetchval(
            "insert into control.schedule_slots (run_id, slot_at, cron, request, claimed_by)"
            " values ($1, $2, $3, $4::jsonb, $5) on conflict (run_id) do nothing returning true",
            slot.run_id,
            slot.at,
            cron,
            request.model_dump_json(by_alias=True, exclude_none=True),
            replica,
        )
        return bool(made)

    async def publish_pending(self, send: Send) -> int:
        """Send every claimed, unpublished request, oldest first, and mark it; each row is
        locked while it is sent, so another replica skips it rather than sending it too."""
        sent = 0
        while True:
            async with self._pool.acquire() as conn, conn.transaction():
                row = await conn.fetchrow(
                    "select run_id, request::text as request from control.schedule_slots"
                    " where published_at is null order by slot_at limit 1 for update skip locked"
                )
                if row is None:
                    return sent
                await send(row["request"].encode(), row["run_id"].encode())
                await conn.execute(
                    "update control.schedule_slots set published_at = now() where run_id = $1",
                    row["run_id"],
                )
                sent += 1

    async def recent(self, limit: int) -> list[ClaimedSlot]:
        rows = await self._pool.fetch(
            "select s.run_id, s.slot_at, s.claimed_at, s.claimed_by, s.published_at, r.status"
            " from control.schedule_slots s left join control.runs r using (run_id)"
            " order by s.slot_at desc limit $1",
            limit,
        )
        return [ClaimedSlot(**dict(r)) for r in rows]
