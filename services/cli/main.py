"""The `stocks-elt` command: a composition root like a service's app.py (it reads settings)."""

from __future__ import annotations

import asyncio
import time
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from shared.bootstrap import bootstrap_all
from shared.clients.db import connect
from shared.logging import configure_logging
from shared.messages import Plan, RunRequest
from shared.messages.run_rules import InvalidRunRequest
from shared.settings import (
    KafkaSettings,
    MinioSettings,
    PolygonSettings,
    PostgresAdminSettings,
    PostgresSettings,
    StackSettings,
)

from . import freshness, status_views, views
from .ack import ack_app
from .as_traded import Refetch, adjusted_only_spans, refetch_plan
from .cancel import cancel_run
from .chart import chart
from .docs import docs
from .processes import SERVICES, SIMULATOR, Supervisor, replicas
from .publish import checked_request, new_run_id, publish_request, today_in_new_york
from .report import report
from .runs import RunReader
from .schedule import schedule

app = typer.Typer(
    help="stocks-elt: US stock daily bars from Polygon into Postgres.", no_args_is_help=True
)
services_app = typer.Typer(help="Run the services natively, N replicas each.", no_args_is_help=True)
app.add_typer(services_app, name="services")
app.add_typer(ack_app, name="ack")
app.command("schedule")(schedule)
app.command("chart")(chart)
app.command("report")(report)
app.command("docs")(docs)
REPO = Path(__file__).resolve().parents[2]


@app.callback()
def _root() -> None:
    """Keeps typer in multi-command mode."""


@app.command()
def bootstrap() -> None:
    """Create topics, the bucket and its notification rule, the database, roles and tables."""
    configure_logging("bootstrap")
    asyncio.run(
        bootstrap_all(
            KafkaSettings(),
            MinioSettings(),
            PostgresSettings(),
            PostgresAdminSettings(),
        )
    )


@app.command()
def run(
    from_: Annotated[date | None, typer.Option("--from", formats=["%Y-%m-%d"])] = None,
    to: Annotated[date | None, typer.Option(formats=["%Y-%m-%d"])] = None,
    tickers: Annotated[str | None, typer.Option(help="Comma-separated, case-sensitive")] = None,
    max_tickers: Annotated[int | None, typer.Option(help="First N of the universe")] = None,
    batch_size: int = 100,
    run_id: Annotated[str | None, typer.Option()] = None,
    plan: Annotated[Plan, typer.Option(help="auto takes the fewest API requests")] = Plan.AUTO,
    wait: Annotated[bool, typer.Option(help="Show progress until the run ends")] = False,
    timeout: float = 3600,
) -> None:
    """Start a run by publishing its request; with --wait, follow it to the end.

    Without --from the run is incremental: each ticker from the day after its last loaded bar."""
    fields = {
        "run_id": run_id or new_run_id(),
        "from": from_,
        "to": to,
        "max_tickers": max_tickers,
        "tickers": [t.strip() for t in tickers.split(",")] if tickers is not None else None,
        "batch_size": batch_size,
        "plan": plan,
    }
    try:
        request = checked_request(fields, today_in_new_york())
    except InvalidRunRequest as exc:
        views.console.print(f"[red]request refused, nothing published:[/] {exc}")
        raise typer.Exit(2) from exc
    started = time.monotonic()
    asyncio.run(publish_request(KafkaSettings(), request))
    views.console.print(f"run requested: [bold]{request.run_id}[/]")
    if wait:
        ok = asyncio.run(_wait(request.run_id or "", timeout, started))
        raise typer.Exit(0 if ok else 1)


async def _wait(run_id: str, timeout: float, started: float) -> bool:
    reader = await RunReader.connect(PostgresSettings())
    try:
        done = await views.watch(reader, run_id, timeout)
        errors = await reader.ticker_errors(run_id)
        problems = await reader.test_problems([run_id])
        views.summary(done, errors, problems, time.monotonic() - started)
        return done.ended_well
    finally:
        await reader.close()


@app.command("refetch-as-traded")
def refetch_as_traded(
    yes: Annotated[bool, typer.Option("--yes", help="Start the run after saying its cost")] = False,
    wait: Annotated[bool, typer.Option(help="Show progress until the run ends")] = False,
    timeout: float = 3600,
) -> None:
    """Once, after upgrading a warehouse loaded when raw kept split-adjusted bars: re-fetch the
    as-traded history of those tickers (the adjusted series are now built by dbt). Says how
    many API requests it takes; starts only with --yes."""

    async def measure() -> Refetch | None:
        pg = PostgresSettings()
        conn = await connect(pg)
        try:
            return refetch_plan(await adjusted_only_spans(conn))
        finally:
            await conn.close()

    refetch = asyncio.run(measure())
    if refetch is None:
        views.console.print("nothing to re-fetch: every ticker has its as-traded bars")
        return
    views.console.print(refetch.describe())
    if not yes:
        views.console.print("run again with --yes to start it")
        return
    request = RunRequest.model_validate(
        {
            "run_id": f"as-traded-{new_run_id()}",
            "from": refetch.start,
            "to": refetch.end,
            "tickers": refetch.tickers,
            "batch_size": 100,
        }
    )
    started = time.monotonic()
    asyncio.run(publish_request(KafkaSettings(), request))
    views.console.print(f"run requested: [bold]{request.run_id}[/]")
    if wait:
        raise typer.Exit(0 if asyncio.run(_wait(request.run_id or "", timeout, started)) else 1)


@app.command()
def cancel(
    run_id: Annotated[str, typer.Argument(help="The run to stop")],
    why: Annotated[str | None, typer.Option("--why", help="Recorded with the run")] = None,
) -> None:
    """Stop a run still listing or fetching: it ends failed, with who and why; its queued
    batches are skipped, and what it loaded stays."""

    async def stop() -> str | None:
        conn = await connect(PostgresSettings())
        try:
            return await cancel_run(conn, run_id, why)
        finally:
            await conn.close()

    refused = asyncio.run(stop())
    if refused is not None:
        views.console.print(f"[red]{refused}[/]")
        raise typer.Exit(1)
    views.console.print(f"run {run_id} cancelled")


@app.command()
def status(
    run_id: Annotated[str | None, typer.Argument(help="One run, top to bottom")] = None,
    limit: Annotated[int, typer.Option(help="How many recent runs")] = 20,
    wide: Annotated[bool, typer.Option("--wide", help="Every column")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON, for scripts")] = False,
) -> None:
    """Recent runs, newest first, with what needs a look below them; or one run (RUN_ID):
    request, plan, batches, tickers without bars and why, dbt tests and alerts."""

    async def show() -> int:
        reader = await RunReader.connect(PostgresSettings())
        try:
            if run_id is not None:
                return await _show_run(reader, run_id, as_json)
            await _show_runs(reader, limit, wide, as_json)
            return 0
        finally:
            await reader.close()

    raise typer.Exit(asyncio.run(show()))


async def _show_runs(reader: RunReader, limit: int, wide: bool, as_json: bool) -> None:
    runs = await reader.recent(limit)
    if as_json:
        typer.echo(status_views.to_json(runs))
        return
    ids = [r.run_id for r in runs]
    failed = await reader.failed_tickers(ids)
    problems = await reader.test_problems(ids, limit=1000)
    table = status_views.runs_table(runs, wide)
    console = views.console
    if wide:
        # Wide rows are never squeezed to the terminal: a pager or a wider window shows them.
        unbounded = console.options.update_width(10_000)
        width = max(console.width, console.measure(table, options=unbounded).maximum)
        console = Console(width=width, force_terminal=console.is_terminal)
    console.print(table)
    notes = status_views.notes(runs, failed, problems)
    if notes is not None:
        console.print("[bold]needs a look[/]")
        console.print(notes)
    checked = await freshness.latest(PostgresSettings())
    if checked is not None:
        console.print(f"[bold]sources[/] as run {checked.run_id} found them")
        console.print(freshness.table(checked))
    views.console.print("[dim]stocks-elt status RUN_ID shows one run whole[/]")


async def _show_run(reader: RunReader, run_id: str, as_json: bool) -> int:
    run = await reader.run(run_id)
    if run is None:
        views.console.print(f"[red]no run {run_id}[/]")
        return 1
    batches = await reader.batches(run_id)
    errors = await reader.ticker_errors(run_id, limit=1000)
    problems = await reader.test_problems([run_id], limit=1000)
    if as_json:
        failed = [{"ticker": t, "kind": k, "reason": r} for t, k, r in errors]
        details = {"run": run, "batches": batches, "ticker_errors": failed, "dbt_tests": problems}
        typer.echo(status_views.to_json(details))
    else:
        views.console.print(status_views.run_view(run, batches, errors, problems))
    return 0


@services_app.command("up")
def services_up(
    fetchers: int = 2,
    loaders: int = 2,
    simulator: Annotated[
        bool | None,
        typer.Option(
            help="Start the Polygon simulator (default: when POLYGON_BASE_URL is on 127.0.0.1)"
        ),
    ] = None,
) -> None:
    """Start lister, fetchers, loaders, transformer and scheduler (and the simulator in demo
    mode)."""
    counts = {
        "lister": 1,
        "fetcher": fetchers,
        "loader": loaders,
        "transformer": 1,
        "scheduler": 1,
    }
    if simulator is None:
        simulator = PolygonSettings().base_url.startswith("http://127.0.0.1")
    if simulator:
        counts = {SIMULATOR: 1, **counts}
    sup = Supervisor(StackSettings(), REPO)
    sup.start(replicas(counts))
    for name, pid in sup.running().items():
        views.console.print(f"{name:16} pid {pid}")


@services_app.command("down")
def services_down() -> None:
    """Stop every service replica this machine started."""
    for name in Supervisor(StackSettings(), REPO).stop():
        views.console.print(f"stopped {name}")


@services_app.command("status")
def services_status() -> None:
    """The running replicas, their metrics URLs and where their logs are."""
    sup = Supervisor(StackSettings(), REPO)
    running = sup.running()
    for service in (SIMULATOR, *SERVICES):
        names = [n for n in running if n.rsplit("-", 1)[0] == service]
        views.console.print(f"{service:12} {len(names)} running")
        for name in names:
            views.console.print(f"  {name:16} pid {running[name]:<8} {sup.metrics_url(name) or ''}")
    views.console.print(f"logs: {StackSettings().state_dir / 'services' / 'logs'}")


def main() -> None:
    app()
