"""What `run --wait` shows: live progress bars for a run, then its summary."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .runs import DataTestProblem, RunProgress
from .status_views import run_view

console = Console()


class RunSource(Protocol):
    """Where `watch` reads a run's progress (runs.RunReader)."""

    async def run(self, run_id: str) -> RunProgress | None: ...


async def watch(reader: RunSource, run_id: str, timeout_s: float) -> RunProgress:
    """Poll the control tables until the run ends; a bar each for listed, fetched, loaded and
    dbt's nodes."""
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
        dbt = bars.add_task("dbt nodes", total=None)
        said = None
        while True:
            run = await reader.run(run_id)
            if run is not None:
                total = run.total
                bars.update(listed, completed=1 if total is not None else 0)
                bars.update(fetched, total=total, completed=run.fetched)
                bars.update(loaded, total=total, completed=run.loaded)
                if run.dbt_progress:
                    done, of = run.dbt_progress.get("done"), run.dbt_progress.get("total")
                    bars.update(dbt, total=of, completed=done)
                if run.status != said:
                    # A line per status, above the bars: no bar with an unknown count for it.
                    said = run.status
                    bars.console.print(f"status: {run.status}")
                if run.finished:
                    return run
            if time.monotonic() - started > timeout_s:
                raise TimeoutError(f"run {run_id} did not finish within {timeout_s:.0f} s")
            await asyncio.sleep(0.5)


def summary(
    run: RunProgress,
    errors: list[tuple[str, str, str]],
    problems: list[DataTestProblem],
    wall_s: float,
) -> None:
    """The run's outcome in the vertical view of `status RUN_ID`, without its batches."""
    console.print(f"[bold]{run.run_id}: {run.status}[/] in {wall_s:.1f} s")
    console.print(run_view(run, [], errors, problems))
