"""`stocks-elt schedule`: the scheduler's next slots (from SCHEDULE_*) and the last slots it
started, with their runs' status (control.schedule_slots)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from services.scheduler.core import Schedule, ScheduleError, parse_schedule
from services.scheduler.repository import ClaimedSlot, SlotRepository
from services.scheduler.settings import ScheduleOptions
from shared.clients.db import create_pool
from shared.settings import PostgresSettings

console = Console()


def schedule(
    next_: Annotated[int, typer.Option("--next", help="How many upcoming slots")] = 5,
    last: Annotated[int, typer.Option(help="How many started slots")] = 10,
) -> None:
    """The next slots of the schedule and the last ones started, with their runs' status."""
    opts = ScheduleOptions()
    now = datetime.now(UTC)
    try:
        parsed = parse_schedule(opts.cron, opts.tz, opts.run_id_format, now)
    except ScheduleError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    console.print(
        f"schedule [bold]{opts.cron}[/] in {opts.tz}, catch-up {opts.catchup} missed slot(s)"
    )
    console.print(next_table(parsed, now, next_))
    console.print(last_table(asyncio.run(_recent(last))))


async def _recent(limit: int) -> list[ClaimedSlot]:
    pool = await create_pool(PostgresSettings().model_copy(update={"pool_min": 1, "pool_max": 1}))
    try:
        return await SlotRepository(pool).recent(limit)
    finally:
        await pool.close()


def next_table(parsed: Schedule, now: datetime, n: int) -> Table:
    table = Table(title="next slots")
    for col in ("run id", "at (local)", "at (UTC)", "in"):
        table.add_column(col)
    for slot in parsed.next_slots(now, n):
        wait = slot.at - now
        hours, rest = divmod(int(wait.total_seconds()), 3600)
        table.add_row(
            slot.run_id,
            f"{slot.at:%a %Y-%m-%d %H:%M:%S %Z}",
            f"{slot.at.astimezone(UTC):%Y-%m-%d %H:%M:%S}",
            f"{hours} h {rest // 60:02d} min",
        )
    return table


def last_table(slots: list[ClaimedSlot]) -> Table:
    table = Table(title="last slots started")
    for col in ("run id", "slot (UTC)", "published", "run status", "started by"):
        table.add_column(col)
    for s in slots:
        table.add_row(
            s.run_id,
            f"{s.slot_at.astimezone(UTC):%Y-%m-%d %H:%M:%S}",
            f"{s.published_at.astimezone(UTC):%H:%M:%S}" if s.published_at else "[yellow]pending",
            s.status or "[yellow]not listed yet",
            s.claimed_by,
        )
    if not slots:
        table.caption = "none yet: a new deployment starts at its next slot"
    return table
