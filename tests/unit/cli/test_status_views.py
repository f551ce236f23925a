"""`stocks-elt status` as a person reads it in an 80-column terminal, and as a script reads it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from rich.console import Console, RenderableType

from services.cli.runs import BatchRow, DataTestProblem, RunProgress
from services.cli.status_views import notes, run_view, runs_table, short_test_name, to_json

pytestmark = pytest.mark.unit

AT = datetime(2026, 11, 27, 6, 21, 2, tzinfo=UTC)


def _run(run_id: str, status: str, **fields: object) -> RunProgress:
    values: dict[str, object] = {
        "run_id": run_id,
        "status": status,
        "total": 5,
        "fetched": 5,
        "loaded": 5,
        "tickers": 3,
        "tickers_failed": 0,
        "bars": 1_234_567,
        "reason": None,
        "dbt": {"models_built": 14, "tests_passed": 60, "tests_failed": 0, "tests_warned": 2},
        "requested_at": AT,
        "finished_at": AT,
        "plan": "per_ticker",
        "plan_reason": "3 range requests, no more than grouped daily needs",
        "api_requests": 4,
        "request": {"from": "2024-01-02", "to": "2024-03-28", "tickers": ["AAPL", "MSFT"]},
    }
    values.update(fields)
    return RunProgress(**values)  # type: ignore[arg-type]


def _screen(renderable: RenderableType, width: int = 80) -> list[str]:
    console = Console(width=width, record=True, color_system=None)
    console.print(renderable)
    return console.export_text().splitlines()


RUNS = [
    _run("20261127-062726-3aa1f0", "succeeded_with_errors", tickers_failed=1),
    _run("20261127-062102-8ec43e", "rejected", reason="from 2024-03-01 is after to 2024-01-01"),
    _run("20261127-061500-aaaaaa", "transforming", finished_at=None),
]


class TestRunsTable:
    def test_fits_80_columns_with_ids_and_statuses_whole(self) -> None:
        """Every line fits 80 columns, and each run id and status reads whole on its row."""
        lines = _screen(runs_table(RUNS))

        assert [] == [line for line in lines if len(line) > 80]
        for run in RUNS:
            row = next(line for line in lines if line.startswith(run.run_id))
            assert run.status in row
            assert "1,234,567" in row

    def test_default_columns(self) -> None:
        """Run, status, bars, API requests, finished: nothing else by default."""
        header = _screen(runs_table(RUNS))[0].split()

        assert ["run", "status", "bars", "API", "finished", "UTC"] == header

    def test_wide_shows_every_column(self) -> None:
        """--wide adds the plan, batches, tickers, failed, dbt tests, requested and reason."""
        header = _screen(runs_table(RUNS, wide=True), width=300)[0].split()

        assert ["run", "status", "plan", "batches", "tickers", "failed", "bars", "API"] == (
            header[:8]
        )
        assert "reason" == header[-1]


class TestNotes:
    def test_name_rejections_failed_tickers_and_tests(self) -> None:
        """A rejected run says why; a run with unknown tickers names them with their kind; dbt
        tests that did not pass are counted; a clean run has no line."""
        failed = {RUNS[0].run_id: ["NOSUCHTICKER (not_found)"]}
        problems = [DataTestProblem(RUNS[0].run_id, "test.p.x.h", "warn", 3, "Got 3")]

        grid = notes(RUNS, failed, problems)

        assert grid is not None
        text = "\n".join(_screen(grid, width=200))
        assert f"{RUNS[0].run_id}  tickers without bars: NOSUCHTICKER (not_found)" in text
        assert "dbt tests 1 warn" in text
        assert f"{RUNS[1].run_id}  from 2024-03-01 is after to 2024-01-01" in text
        assert RUNS[2].run_id not in text

    def test_count_the_tests_with_new_failures(self) -> None:
        """Of a run's non-passing tests, those with new failures (the ones that alerted)."""
        problems = [
            DataTestProblem("r1", "test.p.a.h", "warn", 3, None, new=1, known=2),
            DataTestProblem("r1", "test.p.b.h", "warn", 3, None, new=0, known=3),
        ]

        grid = notes([_run("r1", "succeeded")], {}, problems)

        assert grid is not None
        assert "dbt tests 2 warn, 1 with new failures" in " ".join(_screen(grid, width=200))

    def test_says_how_many_more(self) -> None:
        """Only a few tickers are named; the rest are counted."""
        run = _run("r1", "succeeded_with_errors", tickers_failed=7)

        grid = notes([run], {"r1": ["A (no_data)", "B (no_data)"]}, [])

        assert grid is not None
        assert "A (no_data), B (no_data) and 5 more" in " ".join(_screen(grid, width=200))

    def test_nothing_to_say(self) -> None:
        """Clean runs: no notes at all."""
        assert None is notes([_run("r1", "succeeded")], {}, [])


class TestRunView:
    def test_one_run_top_to_bottom(self) -> None:
        """The vertical view has the request, plan, batches, unknown tickers with their reason
        and the alerts, each whole within 80 columns."""
        batch = BatchRow("b00000", "ranges", 3, AT, AT, 500, 3)
        errors = [("NOSUCHTICKER", "not_found", "not in the reference data")]
        uid = "unit_test.stocks_elt.fct_moving_averages.test_incremental_continues_the_stored_ema"
        problems = [DataTestProblem("r1", uid, "error", None, "Runtime Error " * 40)]

        lines = _screen(run_view(RUNS[0], [batch], errors, problems))
        text = "\n".join(lines)

        assert [] == [line for line in lines if len(line) > 80]
        assert "2024-01-02 to 2024-03-28; AAPL, MSFT" in text
        assert "per_ticker: 3 range requests" in text
        assert "b00000" in text
        assert "NOSUCHTICKER" in text and "not_found" in text
        assert "fct_moving_averages.test_incremental_continues_the_stored_ema" in "".join(
            line.strip() for line in lines
        )

    def test_each_failing_test_says_new_against_known(self) -> None:
        """Per test: its new, known and acknowledged failures; a test with none new says it
        raised no alert; a test not told apart (older runs) has no such line."""
        problems = [
            DataTestProblem("r1", "test.p.gaps.h", "warn", 3, None, new=1, known=2),
            DataTestProblem("r1", "test.p.days.h", "warn", 5, None, new=0, known=1, acknowledged=4),
            DataTestProblem("r1", "test.p.old.h", "warn", 7, None),
        ]

        lines = [line.strip() for line in _screen(run_view(RUNS[0], [], [], problems))]
        at = lines.index("warn  gaps (3 rows)")

        assert [
            "warn  gaps (3 rows)",
            "1 new, 2 known, 0 acknowledged",
            "warn  days (5 rows)",
            "0 new, 1 known, 4 acknowledged (no alert)",
            "warn  old (7 rows)",
        ] == lines[at : at + 5]

    def test_dbt_progress_while_building(self) -> None:
        """Before dbt's outcome is stored, the view shows its nodes done out of total."""
        run = _run("r1", "transforming", dbt=None, dbt_progress={"done": 12, "total": 40})

        assert "building: 12 of 40 nodes done" in "\n".join(_screen(run_view(run, [], [], [])))


class TestShortTestName:
    @pytest.mark.parametrize(
        ("unique_id", "expected"),
        [
            ("test.stocks_elt.not_null_fct_x_ticker.5f2e", "not_null_fct_x_ticker"),
            ("unit_test.stocks_elt.fct_x.test_it", "fct_x.test_it"),
            ("odd", "odd"),
        ],
    )
    def test_short_names(self, unique_id: str, expected: str) -> None:
        """dbt's id without its resource type and project."""
        assert expected == short_test_name(unique_id)


class TestJson:
    def test_runs_as_json(self) -> None:
        """Dataclasses become objects with ISO datetimes."""
        out = json.loads(to_json(RUNS[:1]))

        assert (RUNS[0].run_id, "2026-11-27T06:21:02+00:00", 1_234_567) == (
            out[0]["run_id"],
            out[0]["finished_at"],
            out[0]["bars"],
        )
