"""`stocks-elt cancel RUN_ID`: stop a run that is still listing or fetching. The run ends
`failed` with who cancelled it and why; fetchers and loaders skip the batches of a run that is
not running, so its queued batches drain without API requests. What it already loaded stays:
bars are facts, and the next run starts after them."""

from __future__ import annotations

import getpass
import socket

import asyncpg

from shared.db.control import UNFINISHED_STATUSES, RunStatus

CANCEL = f"""
update control.runs
set status = '{RunStatus.FAILED}', reason = $2, finished_at = now(), updated_at = now()
where run_id = $1 and status = any($3::text[])
returning run_id
"""


def cancel_reason(why: str | None) -> str:
    who = f"{getpass.getuser()}@{socket.gethostname()}"
    return f"cancelled by {who}" + (f": {why}" if why else "")


async def cancel_run(
    conn: asyncpg.Connection | asyncpg.Pool, run_id: str, why: str | None
) -> str | None:
    """None when the run was cancelled; otherwise why it was not (unknown, or past fetching:
    a run in dbt finishes its build, which cancelling halfway would leave half-built)."""
    done = await conn.fetchval(
        CANCEL, run_id, cancel_reason(why), [str(s) for s in UNFINISHED_STATUSES]
    )
    if done is not None:
        return None
    status = await conn.fetchval("select status from control.runs where run_id = $1", run_id)
    if status is None:
        return f"no run {run_id}"
    return f"run {run_id} is {status}: only a listing or running run can be cancelled"
