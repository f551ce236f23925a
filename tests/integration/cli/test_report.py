"""What `stocks-elt report` reads, from real control tables, as the elt_reader role it uses:
a run with its batches, ticker errors, dbt tests and alerts, and nothing of another run."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from services.cli.reader import READER_ROLE
from services.cli.report import read_report
from services.cli.report_html import render_report
from shared.bootstrap import bootstrap_database
from shared.clients.db import connect
from shared.messages.topics import ALERTS
from testbed.names import unique_db
from testbed.stack import Stack, drop_database

pytestmark = pytest.mark.integration

AT = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)


async def _fixture_run(admin: asyncpg.Connection) -> None:
    """Run r1: listing and two batches (one loaded), 6 API requests by status (the lister's
    one 200; b1's two 200s and a 429; b2's 200 and a timeout), a ticker error, two tests, one
    alert; run r2: an alert and requests of its own that r1's report must not show."""
    s = [AT + timedelta(seconds=n) for n in range(100)]
    await admin.execute(
        "insert into control.runs (run_id, request, status, total_batches, tickers_total,"
        " api_requests, requested_at, listed_at, transform_started_at, finished_at, dbt_result,"
        " api_statuses)"
        " values ('r1', '{}', 'succeeded_with_errors', 3, 4, 1, $1, $2, $3, $4, $5,"
        " '{\"200\": 1}'), ('r2', '{}', 'succeeded', 1, 1, 9, $1, $2, $3, $4, null,"
        " '{\"200\": 1, \"503\": 8}')",
        s[0], s[2], s[30], s[60], json.dumps({"models_built": 14, "failed_nodes": []}),
    )  # fmt: skip
    await admin.executemany(
        "insert into control.batches (run_id, batch_id, tickers, fetched_at, loaded_at,"
        " api_requests, bars_loaded, listed, command, api_statuses) values ($8, $1, $2, $3,"
        " $4, $5, $6, true, $7, $9)",
        [
            ("tickers", [], s[1], s[2], 0, 4, None, "r1", None),
            (
                "b1",
                ["AAA", "BBB"],
                s[10],
                s[20],
                3,
                500,
                '{"seq": 1}',
                "r1",
                '{"200": 2, "429": 1}',
            ),
            ("b2", ["CCC"], s[12], None, 2, None, '{"seq": 2}', "r1", '{"200": 1, "error": 1}'),
            ("b1", ["AAA"], s[10], s[20], 8, 1, '{"seq": 1}', "r2", '{"503": 8}'),
        ],
    )
    await admin.execute(
        "insert into control.ticker_errors (run_id, batch_id, ticker, kind, reason)"
        " values ('r1', 'b1', 'BBB', 'not_entitled', 'HTTP 403')"
    )
    await admin.execute(
        "insert into control.run_test_results (run_id, unique_id, status, failures, message)"
        " values ('r1', 'test.p.ok', 'pass', 0, null), ('r1', 'test.p.bad', 'fail', 2, 'Got 2')"
    )
    alert = {"run_id": "r1", "unique_id": "test.p.bad", "status": "fail", "message": "Got 2"}
    await admin.executemany(
        "insert into control.outbox (message_id, topic, key, payload) values ($1, $2, $3, $4)",
        [
            ("r1/test.p.bad", ALERTS, "r1", json.dumps(alert)),
            ("r2/x", ALERTS, "r2", json.dumps({**alert, "run_id": "r2", "unique_id": "other"})),
            ("r1/finished", "stocks.run-events", "r1", json.dumps({"run_id": "r1"})),
        ],
    )


@pytest.fixture
async def reader(stack: Stack) -> AsyncIterator[asyncpg.Connection]:
    """A fresh bootstrapped database with the fixture runs, reached as elt_reader."""
    pg = stack.postgres.model_copy(update={"database": unique_db()})
    await bootstrap_database(pg, stack.admin)
    admin = await connect(pg, stack.admin)
    try:
        await _fixture_run(admin)
    finally:
        await admin.close()
    conn = await connect(
        pg.model_copy(update={"user": READER_ROLE, "password": stack.admin.reader_password})
    )
    yield conn
    await conn.close()
    await drop_database(pg, stack.admin)


class TestReadReport:
    async def test_the_runs_records(self, reader: asyncpg.Connection) -> None:
        """Stages, listed batches in order, errors by kind, tests, and r1's alert only."""
        report = await read_report(reader, "r1")

        assert report is not None
        assert (AT + timedelta(seconds=2), AT + timedelta(seconds=60)) == (
            report.milestones.listed_at,
            report.milestones.finished_at,
        )
        assert ["tickers", "b1", "b2"] == [b.batch_id for b in report.batches]
        assert {"not_entitled": 1} == report.errors_by_kind
        assert {("test.p.bad", "fail"), ("test.p.ok", "pass")} == {
            (t.unique_id, t.status) for t in report.tests
        }
        assert [("dbt test", "test.p.bad")] == [(a.kind, a.subject) for a in report.alerts]
        assert 6 == report.run.api_requests  # the lister's 1 and the batches' 3 + 2

    async def test_the_runs_requests_by_status(self, reader: asyncpg.Connection) -> None:
        """The lister's and r1's batches' statuses added up (none of r2's), as many as the
        run's requests."""
        report = await read_report(reader, "r1")

        assert report is not None
        assert ({"200": 4, "429": 1, "error": 1}, 6) == (
            report.statuses,
            sum(report.statuses.values()),
        )

    async def test_no_such_run(self, reader: asyncpg.Connection) -> None:
        """None, for the command to say so."""
        assert None is await read_report(reader, "nope")

    async def test_renders(self, reader: asyncpg.Connection) -> None:
        """The page of the real run names its failed test and its unloaded batch's requests."""
        report = await read_report(reader, "r1")
        assert report is not None

        html = render_report(report)

        assert "test.p.bad" in html
        assert '<td>batches fetched, not loaded</td><td class="n">2</td>' in html
        assert (
            '<tr><td>200</td><td>OK</td><td class="n">4</td></tr>'
            '<tr><td>429</td><td>Too Many Requests</td><td class="n">1</td></tr>'
        ) in html
