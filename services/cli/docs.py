"""`stocks-elt docs`: the dbt project's documentation site (dbt docs generate into a temporary
target, so the transformer's own is never touched), written to a folder or served on loopback."""

from __future__ import annotations

import contextlib
import functools
import shutil
import signal
import subprocess
import sys
import tempfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Annotated

import typer

from shared.clients.dbt import dbt_environment
from shared.settings import PostgresAdminSettings, PostgresSettings

from .processes import TRANSFORM_ROLE

PROJECT = Path(__file__).resolve().parents[2] / "dbt"
# What the site is made of: the page, what it reads, and the one-file copy (--static).
SITE_FILES = ("index.html", "manifest.json", "catalog.json", "static_index.html")


class DocsFailed(RuntimeError):
    """dbt docs generate ended non-zero; the message holds dbt's last lines."""


def dbt_settings() -> PostgresSettings:
    """As the transform role, as the transformer runs dbt: compiling the tests reads the
    schemas dbt builds, which elt_reader may not all see. Generating writes nothing there."""
    password = PostgresAdminSettings().transform_password
    return PostgresSettings().model_copy(update={"user": TRANSFORM_ROLE, "password": password})


def generate_command(project: Path, target: Path) -> list[str]:
    dbt = Path(sys.executable).with_name("dbt")
    return [
        str(dbt) if dbt.exists() else "dbt",
        "docs",
        "generate",
        "--static",
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target-path",
        str(target),
        "--log-path",
        str(target / "logs"),
    ]


def generate(project: Path, pg: PostgresSettings, target: Path) -> None:
    """The site's files into `target`; the profile reads the PG_* variables, as the
    transformer's dbt does."""
    env = dbt_environment(pg)
    done = subprocess.run(
        generate_command(project, target), env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise DocsFailed("\n".join((done.stdout + done.stderr).splitlines()[-20:]))


def copy_site(target: Path, out: Path) -> list[Path]:
    """The site's files from dbt's target into `out` (created), nothing else of the target."""
    out.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy2(target / name, out / name)) for name in SITE_FILES]


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve_site(directory: Path, host: str, port: int) -> None:
    """Until interrupted: the folder over HTTP."""
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(directory))
    # a TERM (a supervisor, `kill`) stops it like Ctrl-C, so the temporary site is removed
    signal.signal(signal.SIGTERM, _interrupt)
    with ThreadingHTTPServer((host, port), handler) as server:
        typer.echo(f"dbt docs on http://{host}:{port}/ (Ctrl-C stops)")
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()


def docs(
    serve: Annotated[bool, typer.Option("--serve", help="Serve the site on loopback")] = False,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write it here")] = None,
    port: Annotated[int, typer.Option(help="With --serve")] = 8081,
    project: Annotated[Path, typer.Option(help="The dbt project")] = PROJECT,
) -> None:
    """Generate the dbt docs (models, columns, tests, lineage, with the warehouse's catalog)
    and write them to a folder (-o DIR) or serve them (--serve)."""
    if serve == (output is not None):
        typer.echo("give one of --serve or -o DIR", err=True)
        raise typer.Exit(2)
    with tempfile.TemporaryDirectory(prefix="stocks-elt-docs-") as tmp:
        target = Path(tmp) / "target"
        try:
            generate(project, dbt_settings(), target)
        except DocsFailed as exc:
            typer.echo(f"dbt docs generate failed:\n{exc}", err=True)
            raise typer.Exit(1) from None
        site = copy_site(target, output or Path(tmp) / "site")
        if output is not None:
            typer.echo(f"wrote {output}: {', '.join(p.name for p in site)}")
            return
        serve_site(site[0].parent, "127.0.0.1", port)
