"""What the CLI shows: a live progress bar for a run, its summary, the runs table and the dbt
tests that did not pass."""

from __future__ import annotations

import asyncio
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .runs import DataTestProblem, RunProgress, RunReader

console = Console()


async def watch(reader: RunReader, run_id: str, timeout_s: float) -> RunProgress:
    """Poll the control tables until the run ends; a bar each for listed, fetched, loaded."""
    started = time.monotonic()
    columns = (
        TextColumn("{task.description:>12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bars:
        listed = bars.add_task("listed", total=1)
        fetched = bars.add_task("fetched", total=None)
        loaded = bars.add_task("loaded", total=None)
        status = bars.add_task("status: requested", total=None)
        while True:
            run = await reader.run(run_id)
            if run is not None:
                total = run.total
                bars.update(listed, completed=1 if total is not None else 0)
                bars.update(fetched, total=total, completed=run.fetched)
                bars.update(loaded, total=total, completed=run.loaded)
                bars.update(status, description=f"status: {run.status}")
                if run.finished:
                    return run
            if time.monotonic() - started > timeout_s:
                raise TimeoutError(f"run {run_id} did not finish within {timeout_s:.0f} s")
            await asyncio.sleep(0.5)


def summary(run: RunProgress, errors: list[tuple[str, str, str]], wall_s: float) -> None:
    colour = {"succeeded": "green", "failed": "red"}.get(run.status, "yellow")
    console.print(f"[bold {colour}]{run.run_id}: {run.status}[/] in {wall_s:.1f} s")
    console.print(
        f"  tickers {run.tickers or 0}, bars loaded {run.bars}, "
        f"tickers failed {run.tickers_failed}, API requests {run.api_requests}"
    )
    if run.plan:
        console.print(f"  plan: {run.plan} ({run.plan_reason})")
    if run.dbt:
        console.print(
            f"  dbt: {run.dbt.get('models_built', 0)} models built, "
            f"{run.dbt.get('tests_passed', 0)} tests passed, "
            f"{run.dbt.get('tests_failed', 0)} failed"
        )
        for node in (run.dbt.get("failed_nodes") or [])[:10]:
            console.print(f"    failed: {node}")
    if run.reason:
        console.print(f"  reason: {run.reason}")
    for ticker, kind, reason in errors:
        console.print(f"    {ticker}: {kind}: {reason[:120]}")


def runs_table(runs: list[RunProgress]) -> Table:
    table = Table(
        "run",
        "status",
        "plan",
        "batches",
        "loaded",
        "tickers",
        "failed",
        "bars",
        "API req.",
        "dbt tests",
        "requested",
        "reason",
    )
    for r in runs:
        tests = f"{r.dbt.get('tests_passed', 0)}/{r.dbt.get('tests_failed', 0)}" if r.dbt else ""
        table.add_row(
            r.run_id,
            r.status,
            r.plan or "",
            str(r.total or ""),
            str(r.loaded),
            str(r.tickers or ""),
            str(r.tickers_failed),
            str(r.bars),
            str(r.api_requests),
            tests,
            f"{r.requested_at:%Y-%m-%d %H:%M}" if r.requested_at else "",
            (r.reason or "")[:60],
        )
    return table


def test_problems_table(problems: list[DataTestProblem]) -> Table:
    """One row per failed, errored or warned test; the test's short name, not dbt's full id."""
    table = Table("run", "test", "status", "failures", "message", title="dbt tests not passed")
    colour = {"fail": "red", "error": "red", "warn": "yellow"}
    for p in problems:
        name = p.unique_id.split(".")[2] if p.unique_id.count(".") >= 2 else p.unique_id
        table.add_row(
            p.run_id,
            name,
            f"[{colour.get(p.status, 'white')}]{p.status}[/]",
            "" if p.failures is None else str(p.failures),
            " ".join((p.message or "").split())[:80],
        )
    return table
