"""`stocks-elt report RUN_ID -o run.html`: one run's report, read from the control tables as
elt_reader and written as one self-contained HTML page."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import asyncpg
import typer

from shared.clients.db import connect
from shared.messages.topics import ALERTS

from .reader import reader_settings
from .report_html import render_report
from .report_model import DataTestResult, Milestones, RunReport, alert_from_payload
from .runs import RunReader


async def read_report(conn: asyncpg.Connection, run_id: str) -> RunReport | None:
    """Everything the report shows of `run_id`; None when there is no such run."""
    reader = RunReader(conn)
    run = await reader.run(run_id)
    if run is None:
        return None
    times = await conn.fetchrow(
        "select requested_at, listed_at, transform_started_at, finished_at"
        " from control.runs where run_id = $1",
        run_id,
    )
    assert times is not None  # the run was just read
    kinds = await conn.fetch(
        "select kind, count(*) as n from control.ticker_errors where run_id = $1 group by kind",
        run_id,
    )
    tests = await conn.fetch(
        "select unique_id, status, failures, message from control.run_test_results"
        " where run_id = $1 order by unique_id",
        run_id,
    )
    alerts = await conn.fetch(
        "select payload from control.outbox where topic = $1 and payload->>'run_id' = $2"
        " order by id",
        ALERTS,
        run_id,
    )
    return RunReport(
        run,
        Milestones(*times),
        await reader.batches(run_id),
        {r["kind"]: r["n"] for r in kinds},
        [DataTestResult(*t) for t in tests],
        [alert_from_payload(json.loads(a["payload"])) for a in alerts],
        await _requests_by_status(conn, run_id),
    )


async def _requests_by_status(conn: asyncpg.Connection, run_id: str) -> dict[str, int]:
    """The lister's requests (on the run) and its batches', by outcome, added up; rows written
    before outcomes were recorded (null) add nothing."""
    rows = await conn.fetch(
        """
        select s.status, sum(s.n::bigint) as n
        from (select api_statuses from control.runs where run_id = $1
              union all
              select api_statuses from control.batches where run_id = $1) as r,
             jsonb_each_text(r.api_statuses) as s (status, n)
        group by s.status
        """,
        run_id,
    )
    return {r["status"]: int(r["n"]) for r in rows}


async def _fetch(run_id: str) -> RunReport | None:
    conn = await connect(reader_settings())
    try:
        return await read_report(conn, run_id)
    finally:
        await conn.close()


def report(
    run_id: Annotated[str, typer.Argument(help="The run to report on")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The HTML file to write")],
) -> None:
    """One page on a run: its timeline of batches fetched and loaded, API requests, dbt nodes
    and tests, and alerts."""
    got = asyncio.run(_fetch(run_id))
    if got is None:
        typer.echo(f"no run {run_id}", err=True)
        raise typer.Exit(1)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render_report(got), encoding="utf-8")
    typer.echo(f"wrote {output}")
