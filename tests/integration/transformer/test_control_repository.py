"""The transformer's control-schema SQL against real Postgres, as the transform role: the
completion count of listed batches only, the one claim, the end of a run with its outbox, and
the reconciler's view of quiet runs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from services.transformer.core import DbtOutcome
from services.transformer.repository import DBT_LOCK_KEY, ControlRepository
from shared.bootstrap import bootstrap_database
from shared.db.control import SPLITS_BATCH_ID, TICKERS_BATCH_ID, RunStatus
from shared.db.outbox import OutboxMessage
from testbed.names import unique_db
from testbed.stack import Stack, drop_database

pytestmark = pytest.mark.integration


async def _pool(stack: Stack, database: str, user: str, password: str) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        host=stack.postgres.host,
        port=stack.postgres.port,
        database=database,
        user=user,
        password=password,
        min_size=1,
        max_size=4,
    )
    assert pool is not None
    return pool


@pytest.fixture
async def repo(stack: Stack) -> AsyncIterator[tuple[ControlRepository, asyncpg.Pool]]:
    """A run r1 with three listed batches, the repository as the transform role, and an
    ingest-role pool to play the lister and loader."""
    pg = stack.postgres.model_copy(update={"database": unique_db()})
    await bootstrap_database(pg, stack.admin)
    admin = stack.admin
    ingest = await _pool(stack, pg.database, pg.user, pg.password.get_secret_value())
    transform = await _pool(
        stack, pg.database, "elt_transform", admin.transform_password.get_secret_value()
    )
    await ingest.execute("insert into control.runs (run_id, request) values ('r1', '{}')")
    await ingest.executemany(
        "insert into control.batches (run_id, batch_id, tickers, listed) values ('r1', $1, '{}',"
        " true)",
        [(TICKERS_BATCH_ID,), ("b00000",), (SPLITS_BATCH_ID,)],
    )
    await ingest.execute(
        "update control.runs set status = $1, total_batches = 3 where run_id = 'r1'",
        RunStatus.RUNNING,
    )
    yield ControlRepository(transform), ingest
    await transform.close()
    await ingest.close()
    await drop_database(pg, admin)


class TestCompletion:
    async def test_an_unlisted_batch_never_counts(
        self, repo: tuple[ControlRepository, asyncpg.Pool]
    ) -> None:
        """Two listed batches and a forged one: two of three, and no claim."""
        control, _ = repo
        for batch_id in ("tickers", "b00000", "b99999"):
            counted = await control.complete_batch("r1", batch_id)

        assert ((2, 3), False) == (counted, await control.claim("r1"))

    async def test_one_claim_wins(self, repo: tuple[ControlRepository, asyncpg.Pool]) -> None:
        """The set complete, five concurrent claims: exactly one succeeds."""
        control, _ = repo
        for batch_id in ("tickers", "b00000", "splits"):
            await control.complete_batch("r1", batch_id)

        claims = await asyncio.gather(*(control.claim("r1") for _ in range(5)))

        assert 1 == sum(claims)


class TestEndOfRun:
    async def test_the_runs_end_and_its_events_commit_together_and_relay_once(
        self, repo: tuple[ControlRepository, asyncpg.Pool]
    ) -> None:
        """finish() stores the status and the outbox rows; pending until marked published;
        the same event twice is one row."""
        control, _ = repo
        event = OutboxMessage("r1/finished", "stocks.run-events", "r1", '{"kind": "finished"}')
        outcome = DbtOutcome(ok=True, models_built=3)

        await control.finish("r1", RunStatus.SUCCEEDED, None, outcome, [event, event])
        pending = await control.outbox_pending()
        await control.outbox_published([m.id for m in pending])

        assert (["r1/finished"], "stocks.run-events", []) == (
            [m.key + "/finished" for m in pending],
            pending[0].topic,
            await control.outbox_pending(),
        )

    async def test_a_stalled_run_fails_with_its_event_in_the_outbox(
        self, repo: tuple[ControlRepository, asyncpg.Pool]
    ) -> None:
        """fail_stalled writes the failure and its announcement in one transaction."""
        control, _ = repo

        def events(run_id: str, reason: str) -> list[OutboxMessage]:
            return [OutboxMessage(f"{run_id}/finished", "t", run_id, '{"r": 1}')]

        failed = await control.fail_stalled(0, events)

        assert (["r1"], 1) == ([r for r, _ in failed], len(await control.outbox_pending()))


class TestReconcilerView:
    async def test_a_quiet_run_lists_its_unloaded_listed_batches(
        self, repo: tuple[ControlRepository, asyncpg.Pool]
    ) -> None:
        """Loaded batches and unlisted ones are not asked for again."""
        control, ingest = repo
        await ingest.execute(
            "update control.batches set loaded_at = now() where batch_id = $1", TICKERS_BATCH_ID
        )
        await ingest.execute(
            "insert into control.batches (run_id, batch_id, tickers) values ('r1', 'x', '{}')"
        )

        assert ({"r1": {"b00000", "splits"}}, {}) == (
            await control.unloaded(0),
            await control.unloaded(3600),
        )

    async def test_the_dbt_lock_serialises_builds(
        self, repo: tuple[ControlRepository, asyncpg.Pool]
    ) -> None:
        """A second holder waits until the first lets go."""
        control, _ = repo
        order: list[str] = []

        async def hold(name: str, seconds: float) -> None:
            async with control.dbt_lock():
                order.append(f"{name} in")
                await asyncio.sleep(seconds)
                order.append(f"{name} out")

        first = asyncio.create_task(hold("a", 0.3))
        await asyncio.sleep(0.1)
        await hold("b", 0)
        await first

        assert ["a in", "a out", "b in", "b out"] == order

    async def test_a_lock_whose_session_ended_says_so_and_is_free_again(
        self, repo: tuple[ControlRepository, asyncpg.Pool], stack: Stack
    ) -> None:
        """What a database restart does to the lock's session (its backend terminated): the
        holder learns the lock did not survive, and the next holder gets it at once."""
        control, _ = repo
        admin = await asyncpg.connect(
            host=stack.postgres.host,
            port=stack.postgres.port,
            database="postgres",
            user=stack.admin.user,
            password=stack.admin.password.get_secret_value(),
        )
        try:
            async with control.dbt_lock() as lock:
                before = await lock.survived()
                await admin.execute(
                    "select pg_terminate_backend(pid) from pg_locks"
                    " where locktype = 'advisory'"
                    " and ((classid::bigint << 32) | objid::bigint) = $1",
                    DBT_LOCK_KEY,
                )
                after = await lock.survived()
            async with asyncio.timeout(5), control.dbt_lock() as again:
                next_holder = await again.survived()
        finally:
            await admin.close()

        assert (True, False, True) == (before, after, next_holder)
