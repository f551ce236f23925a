"""New against known against real Postgres: the transformer reads dbt's failing-row tables and
records each build's failures as the transform role; the previous build is the one recorded
last; `stocks-elt ack` writes what is accepted as the ingest role (the CLI's)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import pytest

from services.cli.ack import acknowledge, acknowledgements, revoke
from services.transformer.core import DataTestResult, DbtOutcome
from services.transformer.failures import Failure, FailureCounts, FailureState
from services.transformer.repository import ControlRepository
from shared.bootstrap import bootstrap_database
from shared.db.control import RunStatus
from testbed.names import unique_db
from testbed.stack import Stack, drop_database
from tests.support.pools import role_pool

pytestmark = pytest.mark.integration

GAPS = "int_stock_bars_adjusted_max_days_between_bars"


@dataclass
class Db:
    control: ControlRepository
    transform: asyncpg.Pool
    ingest: asyncpg.Pool


@pytest.fixture
async def db(stack: Stack) -> AsyncIterator[Db]:
    """A fresh bootstrapped database with runs r1..r3; pools as the transform and ingest
    roles."""
    pg = stack.postgres.model_copy(update={"database": unique_db()})
    await bootstrap_database(pg, stack.admin)

    ingest = await role_pool(pg, pg.user, pg.password.get_secret_value(), max_size=2)
    transform = await role_pool(
        pg, "elt_transform", stack.admin.transform_password.get_secret_value(), max_size=2
    )
    await ingest.executemany(
        "insert into control.runs (run_id, request) values ($1, '{}')", [("r1",), ("r2",), ("r3",)]
    )
    yield Db(ControlRepository(transform), transform, ingest)
    await transform.close()
    await ingest.close()
    await drop_database(pg, stack.admin)


def failure(key: str, state: FailureState = FailureState.NEW) -> Failure:
    return Failure(GAPS, f"fp-{key}", key, state)


class TestFailingRows:
    async def test_read_from_dbts_store_failures_table(self, db: Db) -> None:
        """The table dbt made in dbt_test__audit (owned by the transform role), as JSON rows,
        `limit` at most; a name that is not a quoted relation is refused."""
        await db.transform.execute(
            "create table dbt_test__audit.gaps as select * from (values ('AAA', date"
            " '2024-03-01'), ('BBB', date '2024-03-04')) as t (ticker, trading_date)"
        )

        rows = await db.control.failing_rows('"dbt_test__audit"."gaps"', 10)
        one = await db.control.failing_rows('"dbt_test__audit"."gaps"', 1)

        assert [
            {"ticker": "AAA", "trading_date": "2024-03-01"},
            {"ticker": "BBB", "trading_date": "2024-03-04"},
        ] == rows
        assert 1 == len(one)
        with pytest.raises(ValueError, match="not a relation name"):
            await db.control.failing_rows("dbt_test__audit.gaps; drop table x", 1)


class TestPreviousBuild:
    async def test_is_the_build_recorded_last_before_this_run(self, db: Db) -> None:
        """r1 then r2 recorded: r3 compares with r2; r2 with r1; r1 built again (resumed)
        with r2, the latest other build; with none recorded, nothing is known."""
        before = await db.control.previous_failures("r1")
        await db.control.record_failures("r1", [failure("AAA")])
        await db.control.record_failures("r2", [failure("BBB")])

        assert set() == before
        assert {(GAPS, "fp-BBB")} == await db.control.previous_failures("r3")
        assert {(GAPS, "fp-AAA")} == await db.control.previous_failures("r2")
        assert {(GAPS, "fp-BBB")} == await db.control.previous_failures("r1")

    async def test_a_run_built_again_counts_only_its_last_build(self, db: Db) -> None:
        """r1 resumed and built again without AAA's failure: r2 compares with that build (its
        first build's row stays, but is not its failure any more)."""
        await db.control.record_failures("r1", [failure("AAA"), failure("BBB")])
        await db.control.record_failures("r1", [failure("BBB", FailureState.KNOWN)])

        assert {(GAPS, "fp-BBB")} == await db.control.previous_failures("r2")

    async def test_the_counts_are_stored_with_the_runs_results(self, db: Db) -> None:
        """finish keeps each test's new / known / acknowledged counts (null untriaged)."""
        triaged = DataTestResult(f"test.p.{GAPS}.h", "warn", 3, triage=FailureCounts(1, 2, 0))
        untriaged = DataTestResult("test.p.other.h", "warn", 1)
        await db.ingest.execute(
            "update control.runs set status = $1 where run_id = 'r1'", RunStatus.TRANSFORMING
        )

        await db.control.finish(
            "r1", RunStatus.SUCCEEDED, None, DbtOutcome(ok=True, tests=(triaged, untriaged)), []
        )
        rows = await db.ingest.fetch(
            "select unique_id, new_failures, known_failures, acknowledged_failures"
            " from control.run_test_results where run_id = 'r1' order by unique_id"
        )

        assert [
            (f"test.p.{GAPS}.h", 1, 2, 0),
            ("test.p.other.h", None, None, None),
        ] == [tuple(r.values()) for r in rows]


class TestAcknowledgements:
    async def test_ack_is_seen_by_the_transformer_until_revoked(self, db: Db) -> None:
        """`ack add` (full test id or short name) says how many failures of the last build it
        covers; the transformer reads it; `ack revoke` ends it, a second revoke finds none."""
        await db.control.record_failures("r1", [failure("ILLQ"), failure("AAA")])
        covered = await acknowledge(db.ingest, f"test.stocks_elt.{GAPS}.c5", "ILLQ", "ops", "thin")
        everything = await acknowledge(db.ingest, GAPS, "*", "ops", "all known")
        listed = await acknowledgements(db.ingest)
        seen = await db.control.acknowledgements()
        revoked = [await revoke(db.ingest, GAPS, "*"), await revoke(db.ingest, GAPS, "*")]

        assert (1, 2) == (covered, everything)
        assert [("ILLQ", "ops", "thin"), ("*", "ops", "all known")] == sorted(
            ((a.key, a.by, a.why) for a in listed), reverse=True
        )
        assert {(GAPS, "ILLQ"), (GAPS, "*")} == seen
        assert [True, False] == revoked
        assert {(GAPS, "ILLQ")} == await db.control.acknowledgements()
