"""The transformer's dbt runner against real dbt and Postgres, on a tiny project of its own: one
parse for many builds, results read from run_results.json, a timeout that kills the worker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from services.transformer.dbt_runner import DbtRunner
from shared.settings import PostgresSettings
from testbed.names import unique_db
from testbed.stack import Stack, drop_database

pytestmark = pytest.mark.integration

PROJECT = """
name: tiny
version: "1.0.0"
config-version: 2
profile: tiny
models:
  tiny:
    +materialized: table
"""
PROFILE = """
tiny:
  target: local
  outputs:
    local:
      type: postgres
      host: "{{ env_var('PG_HOST') }}"
      port: "{{ env_var('PG_PORT') | as_number }}"
      dbname: "{{ env_var('PG_DATABASE') }}"
      user: "{{ env_var('PG_USER') }}"
      password: "{{ env_var('PG_PASSWORD') }}"
      schema: public
      threads: 1
"""
SCHEMA = """
models:
  - name: numbers
    columns:
      - name: n
        data_tests: [not_null]
"""


@pytest.fixture
async def database(stack: Stack) -> AsyncIterator[PostgresSettings]:
    """A database of its own, used as the admin (the runner only needs to create tables)."""
    pg = stack.postgres.model_copy(
        update={"database": unique_db(), "user": stack.admin.user, "password": stack.admin.password}
    )
    conn = await asyncpg.connect(
        host=pg.host,
        port=pg.port,
        user=stack.admin.user,
        password=stack.admin.password.get_secret_value(),
        database="postgres",
    )
    await conn.execute(f'create database "{pg.database}"')
    await conn.close()
    yield pg
    await drop_database(pg, stack.admin)


def project(tmp_path: Path, model_sql: str) -> Path:
    (tmp_path / "models").mkdir()
    (tmp_path / "dbt_project.yml").write_text(PROJECT)
    (tmp_path / "profiles.yml").write_text(PROFILE)
    (tmp_path / "models" / "numbers.sql").write_text(model_sql)
    (tmp_path / "models" / "_models.yml").write_text(SCHEMA)
    return tmp_path


class TestBuilds:
    async def test_builds_reuse_one_worker_and_count_the_results(
        self, database: PostgresSettings, tmp_path: Path
    ) -> None:
        """Two builds, one worker process (one parse); each reads its own run_results."""
        runner = DbtRunner(project(tmp_path, "select 1 as n"), database, timeout_s=300)
        try:
            first = await runner.build("r1")
            pid = runner._proc.pid if runner._proc else None
            second = await runner.build("r2")

            assert (True, 1, 1) == (first.ok, first.models_built, first.tests_passed)
            assert (True, pid) == (second.ok, runner._proc.pid if runner._proc else None)
        finally:
            await runner.close()

    async def test_a_warmed_runner_builds_on_the_worker_it_started(
        self, database: PostgresSettings, tmp_path: Path
    ) -> None:
        """warm() parses before any build is asked for; the build then starts no worker."""
        runner = DbtRunner(project(tmp_path, "select 1 as n"), database, timeout_s=300)
        try:
            await runner.warm()
            warmed = runner._proc.pid if runner._proc else None
            built = await runner.build("r1")

            assert warmed is not None
            assert (True, warmed) == (built.ok, runner._proc.pid if runner._proc else None)
        finally:
            await runner.close()

    async def test_a_failing_test_is_an_outcome_not_an_exception(
        self, database: PostgresSettings, tmp_path: Path
    ) -> None:
        """A null in a not_null column fails the build's test; the runner reports it."""
        runner = DbtRunner(project(tmp_path, "select null::int as n"), database, timeout_s=300)
        try:
            outcome = await runner.build("r1")
        finally:
            await runner.close()

        assert (False, 1, 1) == (outcome.ok, outcome.models_built, outcome.tests_failed)


class TestFailures:
    async def test_a_build_over_its_timeout_kills_the_worker_and_the_next_one_runs(
        self, database: PostgresSettings, tmp_path: Path
    ) -> None:
        """A hung build ends with the timeout as its reason; a new worker serves the next."""
        path = project(tmp_path, "select 1 as n from pg_sleep(30)")
        runner = DbtRunner(path, database, timeout_s=20)
        try:
            slow = await runner.build("r1")
            (path / "models" / "numbers.sql").write_text("select 1 as n")
            runner._timeout_s = 300
            fast = await runner.build("r2")
        finally:
            await runner.close()

        assert ("dbt build ran over 20 s", True) == (slow.error, fast.ok)

    async def test_a_project_that_does_not_parse_says_why(
        self, database: PostgresSettings, tmp_path: Path
    ) -> None:
        """A model referring to a missing one: the outcome names the parse failure."""
        runner = DbtRunner(project(tmp_path, "select * from {{ ref('nope') }}"), database, 300)
        try:
            outcome = await runner.build("r1")
        finally:
            await runner.close()

        assert (False, True) == (outcome.ok, "dbt parse failed" in (outcome.error or ""))

    async def test_a_warm_up_that_fails_leaves_the_build_to_say_why(
        self, database: PostgresSettings, tmp_path: Path
    ) -> None:
        """warm() of a project that does not parse raises nothing and keeps no worker; the
        build starts its own and names the parse failure."""
        runner = DbtRunner(project(tmp_path, "select * from {{ ref('nope') }}"), database, 300)
        try:
            await runner.warm()
            kept = runner._proc
            outcome = await runner.build("r1")
        finally:
            await runner.close()

        assert kept is None
        assert (False, True) == (outcome.ok, "dbt parse failed" in (outcome.error or ""))
