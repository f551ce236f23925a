"""`stocks-elt ack`: accepted exceptions to the dbt tests (control.acknowledged_failures). A
failure of TEST whose key is KEY (the failing row's ticker, or `*` for every failure of the
test) stops alerting, with who accepted it and why, until revoked. The transformer reads them
after each build (services/transformer/triage.py)."""

from __future__ import annotations

import asyncio
import getpass
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, TypeVar

import asyncpg
import typer
from rich.text import Text

from shared.clients.db import connect
from shared.settings import PostgresSettings

from . import views
from .status_views import short_test_name

T = TypeVar("T")
Db = asyncpg.Connection | asyncpg.Pool
ack_app = typer.Typer(
    help="Accept known exceptions to the dbt tests: they stop alerting.", no_args_is_help=True
)

_ACK = """
insert into control.acknowledged_failures (test_name, failure_key, acknowledged_by, reason)
values ($1, $2, $3, $4)
on conflict (test_name, failure_key) do update
set acknowledged_by = excluded.acknowledged_by, reason = excluded.reason,
    acknowledged_at = now(), revoked_at = null
"""
# The failures of the last recorded build that an acknowledgement covers.
_COVERED = """
select count(*) from control.test_failures f
join (select run_id, tests_triaged_at from control.runs where tests_triaged_at is not null
      order by tests_triaged_at desc limit 1) as p
  on f.run_id = p.run_id and f.triaged_at = p.tests_triaged_at
where f.test_name = $1 and ($2 = '*' or f.failure_key = $2)
"""


@dataclass(frozen=True)
class Acknowledgement:
    test_name: str
    key: str
    by: str
    why: str
    at: datetime


def default_who() -> str:
    return f"{getpass.getuser()}@{socket.gethostname()}"


async def acknowledge(conn: Db, test: str, key: str, by: str, why: str) -> int:
    """Record (or renew) the acknowledgement; how many failures of the last build it covers."""
    name = short_test_name(test)
    await conn.execute(_ACK, name, key, by, why)
    return int(await conn.fetchval(_COVERED, name, key))


async def revoke(conn: Db, test: str, key: str) -> bool:
    """False when no such acknowledgement was in force."""
    done = await conn.fetchval(
        "update control.acknowledged_failures set revoked_at = now() where test_name = $1"
        " and failure_key = $2 and revoked_at is null returning true",
        short_test_name(test),
        key,
    )
    return bool(done)


async def acknowledgements(conn: Db) -> list[Acknowledgement]:
    rows = await conn.fetch(
        "select test_name, failure_key, acknowledged_by, reason, acknowledged_at"
        " from control.acknowledged_failures where revoked_at is null"
        " order by test_name, failure_key"
    )
    return [Acknowledgement(*r.values()) for r in rows]


def _with_db(work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    async def go() -> T:
        conn = await connect(PostgresSettings())
        try:
            return await work(conn)
        finally:
            await conn.close()

    return asyncio.run(go())


@ack_app.command("add")
def add(
    test: Annotated[str, typer.Argument(help="The test's name, as `status RUN_ID` shows it")],
    key: Annotated[str, typer.Argument(help="The failing rows' ticker, or * for all of them")],
    why: Annotated[str, typer.Option("--why", help="Why this is accepted")],
    by: Annotated[str | None, typer.Option("--by", help="Who accepts it [user@host]")] = None,
) -> None:
    """Accept TEST's failures whose key is KEY: they stop alerting; other keys still alert."""
    if not why.strip():
        views.console.print("[red]say why with --why[/]")
        raise typer.Exit(2)
    who = by or default_who()
    covered = _with_db(lambda conn: acknowledge(conn, test, key, who, why))
    views.console.print(
        f"acknowledged {short_test_name(test)} {key} by {who}:"
        f" covers {covered} failures of the last build"
    )


@ack_app.command("revoke")
def revoke_command(test: str, key: str) -> None:
    """Alert again on TEST's failures whose key is KEY."""
    if not _with_db(lambda conn: revoke(conn, test, key)):
        views.console.print(f"[red]no acknowledgement of {short_test_name(test)} {key}[/]")
        raise typer.Exit(1)
    views.console.print(f"revoked {short_test_name(test)} {key}")


@ack_app.command("list")
def list_command() -> None:
    """The acknowledgements in force: test and key, then who, when and why."""
    found = _with_db(acknowledgements)
    if not found:
        views.console.print("no acknowledgements")
    for a in found:
        # Two lines each, never cut: the test's name is what `ack revoke` needs.
        views.console.print(Text(f"{a.test_name} {a.key}", style="bold"))
        views.console.print(Text(f"  by {a.by} at {a.at:%Y-%m-%d %H:%M} UTC: {a.why}"))
