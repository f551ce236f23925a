"""The `stocks-elt` command: a composition root like a service's app.py (it reads settings)."""

from __future__ import annotations

import asyncio
import time
from datetime import date
from pathlib import Path
from typing import Annotated

import asyncpg
import typer

from shared.bootstrap import bootstrap_all
from shared.logging import configure_logging
from shared.messages import Plan, RunRequest
from shared.settings import (
    KafkaSettings,
    MinioSettings,
    PolygonSettings,
    PostgresAdminSettings,
    PostgresSettings,
    StackSettings,
)

from . import views
from .as_traded import Refetch, adjusted_only_spans, refetch_plan
from .processes import SERVICES, SIMULATOR, Supervisor, replicas
from .runs import RunReader, new_run_id, publish_request

app = typer.Typer(
    help="stocks-elt: US stock daily bars from Polygon into Postgres.", no_args_is_help=True
)
services_app = typer.Typer(help="Run the services natively, N replicas each.", no_args_is_help=True)
app.add_typer(services_app, name="services")
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
    request = RunRequest.model_validate(
        {
            "run_id": run_id or new_run_id(),
            "from": from_,
            "to": to,
            "max_tickers": max_tickers,
            "tickers": tickers.split(",") if tickers else None,
            "batch_size": batch_size,
            "plan": plan,
        }
    )
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
        views.summary(done, await reader.ticker_errors(run_id), time.monotonic() - started)
        return done.status != "failed"
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
        conn = await asyncpg.connect(
            host=pg.host,
            port=pg.port,
            database=pg.database,
            user=pg.user,
            password=pg.password.get_secret_value(),
        )
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
def status(limit: int = 20) -> None:
    """Recent runs, newest first, then the dbt tests of those runs that did not pass."""

    async def show() -> None:
        reader = await RunReader.connect(PostgresSettings())
        try:
            runs = await reader.recent(limit)
            views.console.print(views.runs_table(runs))
            problems = await reader.test_problems([r.run_id for r in runs])
            if problems:
                views.console.print(views.test_problems_table(problems))
        finally:
            await reader.close()

    asyncio.run(show())


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
    """Start lister, fetchers, loaders and transformer (and the simulator in demo mode)."""
    counts = {"lister": 1, "fetcher": fetchers, "loader": loaders, "transformer": 1}
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
    """The running replicas and where their logs are."""
    sup = Supervisor(StackSettings(), REPO)
    running = sup.running()
    for service in (SIMULATOR, *SERVICES):
        names = [n for n in running if n.rsplit("-", 1)[0] == service]
        views.console.print(f"{service:12} {len(names)} running")
    views.console.print(f"logs: {StackSettings().state_dir / 'services' / 'logs'}")


def main() -> None:
    app()
