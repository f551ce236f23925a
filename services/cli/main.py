"""The `stocks-elt` command: a composition root like a service's app.py (it reads settings)."""

from __future__ import annotations

import asyncio

import typer

from shared.bootstrap import bootstrap_all
from shared.logging import configure_logging
from shared.settings import KafkaSettings, MinioSettings, PostgresAdminSettings, PostgresSettings

app = typer.Typer(help="stocks-elt: US stock daily bars from Polygon into Postgres.",
                  no_args_is_help=True)


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
            MinioSettings(),  # type: ignore[call-arg]
            PostgresSettings(),  # type: ignore[call-arg]
            PostgresAdminSettings(),  # type: ignore[call-arg]
        )
    )


def main() -> None:
    app()
