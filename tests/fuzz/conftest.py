"""The fuzz tier's real Postgres: one throwaway database per session, bootstrapped as production
is, reached as the roles the services use (ingest, transform), plus the admin role that only the
checks use. The session ends with a table of what each topic was fed and what became of it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from shared.bootstrap import bootstrap_database
from shared.db.control import RunStatus
from testbed.names import unique_db
from testbed.stack import Stack, drop_database
from tests.support.pools import role_pool

from .rig import Db, tables_fingerprint
from .tally import summary_lines

# Runs the fixtures seed: "fz-run" has many batches (it never completes), "fz-one" completes at
# its first loaded batch (the transformer then claims and builds it, with a fake dbt).
SEEDED_RUNS = {"fz-run": 1000, "fz-one": 1}
SEEDED_BATCHES = ("b00000", "b00001", "splits", "dividends", "tickers")


@pytest.fixture(scope="session")
async def db(stack: Stack) -> AsyncIterator[Db]:
    pg = stack.postgres.model_copy(update={"database": unique_db("stocks_fuzz")})
    await bootstrap_database(pg, stack.admin)
    admin, pools = stack.admin, []
    try:
        for user, password in (
            (pg.user, pg.password),
            ("elt_transform", admin.transform_password),
            (admin.user, admin.password),
        ):
            pools.append(await role_pool(pg, user, password.get_secret_value()))
        ingest, transform, checks = pools
        await _seed(checks)
        yield Db(ingest, transform, checks, await tables_fingerprint(checks))
    finally:
        for pool in pools:
            await pool.close()
        await drop_database(pg, admin)


async def _seed(checks: asyncpg.Pool) -> None:
    for run_id, total in SEEDED_RUNS.items():
        await checks.execute(
            "insert into control.runs (run_id, request, status, total_batches)"
            " values ($1, '{}', $2, $3)",
            run_id,
            RunStatus.RUNNING,
            total,
        )
        await checks.executemany(
            "insert into control.batches (run_id, batch_id, tickers, listed)"
            " values ($1, $2, '{}', true)",
            [(run_id, b) for b in SEEDED_BATCHES],
        )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = summary_lines()
    if lines:
        terminalreporter.section("fuzz tier: inputs and outcomes per consumed topic")
        for line in lines:
            terminalreporter.write_line(line)
