"""`stocks-elt report`'s page from a fixture run: its sections, its figures and its markup,
with no database."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli import report as report_command
from services.cli.main import app
from services.cli.report_html import render_report
from services.cli.report_model import (
    Alert,
    DataTestResult,
    Milestones,
    RunReport,
    alert_from_payload,
    api_requests,
    requests_by_status,
)
from services.cli.runs import BatchRow, RunProgress

pytestmark = pytest.mark.unit

AT = datetime(2026, 11, 27, 6, 21, 0, tzinfo=UTC)


def _s(seconds: float) -> datetime:
    return AT + timedelta(seconds=seconds)


def _fixture_run() -> RunReport:
    """Listing plus three batches: two loaded, one fetched but not loaded; 10 API requests
    (1 by the lister): 6 answered 200, 2 rate limited, 1 503, 1 timed out; one failed test
    among five; two alerts."""
    run = RunProgress(
        "20261127-062100-abc123", "succeeded_with_errors", 4, 4, 3, 5, 3, 1_500, None,
        {"models_built": 14, "models_failed": 0, "models_skipped": 1, "failed_nodes": []},
        AT, _s(60), "per_ticker", "few tickers", 10,
    )  # fmt: skip
    batches = [
        BatchRow("tickers", "listing", 5, _s(1), _s(2), None, 0),
        BatchRow("b1", "ranges", 2, _s(10), _s(20), 1_000, 3),
        BatchRow("b2", "ranges", 2, _s(12), _s(25), 500, 4),
        BatchRow("b3", "ranges", 1, _s(15), None, None, 2),
    ]
    tests = [
        DataTestResult("test.p.a", "pass", 0, None),
        DataTestResult("test.p.b", "pass", 0, None),
        DataTestResult("test.p.c", "pass", 0, None),
        DataTestResult("test.p.unique_bar", "fail", 3, "Got 3 results <b>bad</b>"),
        DataTestResult("test.p.after", "skipped", None, None),
    ]
    alerts = [
        alert_from_payload(
            {"unique_id": "test.p.unique_bar", "status": "fail", "severity": "error",
             "message": "Got 3 results", "produced_at": "2026-11-27T06:22:00Z"}
        ),
        alert_from_payload({"source": "raw.stock_bars_daily", "status": "warn", "message": "old"}),
    ]  # fmt: skip
    return RunReport(
        run,
        Milestones(AT, _s(3), _s(30), _s(60)),
        batches,
        {"not_entitled": 2, "no_data": 1},
        tests,
        alerts,
        {"error": 1, "503": 1, "200": 6, "429": 2},
    )


class _Page(HTMLParser):
    """The page's sections in order, each with its tables' rows as cell texts."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.sections: dict[str, list[list[str]]] = {}
        self._section = ""
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "section":
            self._section = dict(attrs)["id"] or ""
            self.sections[self._section] = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.sections[self._section].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _table(html: str, head: list[str]) -> list[list[str]]:
    """The body rows of the page's table whose header row is `head`."""
    found = re.search(
        "<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>(.*?)</table>", html
    )
    assert found is not None, head
    return _Page(f'<section id="t"><table>{found[1]}</table></section>').sections["t"]


@pytest.fixture
def html() -> str:
    return render_report(_fixture_run())


class TestSections:
    def test_in_order(self, html: str) -> None:
        """Summary, timeline, API requests, dbt, alerts."""
        assert ["summary", "timeline", "api", "dbt", "alerts"] == list(_Page(html).sections)

    def test_self_contained(self, html: str) -> None:
        """No script, nothing loaded from elsewhere: the only URL is SVG's namespace."""
        assert "<script" not in html
        assert not re.search(r"\b(src|href)=", html)
        assert ["http://www.w3.org/2000/svg"] == re.findall(r"https?://[^\"' ]+", html)


class TestFigures:
    def test_summary(self, html: str) -> None:
        """Status, duration, batches loaded out of the total, bars."""
        rows = dict((r[0], r[1]) for r in _Page(html).sections["summary"][1:])

        assert "succeeded_with_errors" == rows["status"]
        assert "60 s" == rows["duration"]
        assert "30 s" == rows["of which dbt"]
        assert "3 of 4" == rows["batches loaded"]
        assert "1,500" == rows["bars loaded"]

    def test_api_requests_by_where_they_stand(self, html: str) -> None:
        """1 by the lister, 7 in loaded batches, 2 in the unloaded one, 10 in all; the
        tickers without bars counted by kind."""
        rows = _table(html, ["requests", "count"])

        assert ["lister (listing, reference data)", "1"] == rows[0]
        assert ["batches fetched and loaded", "7"] == rows[1]
        assert ["batches fetched, not loaded", "2"] == rows[2]
        assert ["total", "10"] == rows[3]
        assert [["no_data", "1"], ["not_entitled", "2"]] == _table(html, ["kind", "tickers"])

    def test_api_requests_by_status(self, html: str) -> None:
        """Each status with its meaning and count, codes in order, then the requests that got
        no answer, then the total, which is the run's."""
        rows = _table(html, ["status", "meaning", "requests"])

        assert [
            ["200", "OK", "6"],
            ["429", "Too Many Requests", "2"],
            ["503", "Service Unavailable", "1"],
            ["error", "no answer (timeout, refused or dropped connection)", "1"],
            ["total", "", "10"],
        ] == rows

    def test_dbt_tests_counted_and_problems_listed_failures_first(self, html: str) -> None:
        """3 pass, 1 fail, 1 skipped; the failure's message escaped, above the skipped test."""
        rows = _Page(html).sections["dbt"]

        assert "3 pass" in html and "1 fail" in html and "1 skipped" in html
        problems = [r for r in rows if r[0].startswith("test.")]
        assert ["test.p.unique_bar", "test.p.after"] == [r[0] for r in problems]
        assert "Got 3 results <b>bad</b>" == problems[0][3]
        assert "<b>bad</b>" not in html

    def test_alerts(self, html: str) -> None:
        """Both alerts, each with its kind and subject."""
        rows = _Page(html).sections["alerts"][1:]

        assert [["dbt test", "test.p.unique_bar"], ["stale source", "raw.stock_bars_daily"]] == [
            r[:2] for r in rows
        ]
        assert "Alerts (2)" in html


class TestTimeline:
    def _points(self, html: str, name: str) -> list[tuple[float, float]]:
        found = re.search(rf'<polyline id="{name}" points="([^"]+)"', html)
        assert found is not None
        return [(float(x), float(y)) for x, y in (p.split(",") for p in found[1].split())]

    def test_a_step_per_batch(self, html: str) -> None:
        """Fetched: 4 batches, so 1 + 2 x 4 points; loaded: 3, so 1 + 2 x 3; the fetched line
        ends at the top (all 4 of 4), the loaded one below it."""
        fetched, loaded = self._points(html, "fetched"), self._points(html, "loaded")

        assert (9, 7) == (len(fetched), len(loaded))
        assert loaded[-1][1] > fetched[-1][1]
        assert sorted(p[0] for p in fetched) == [p[0] for p in fetched]

    def test_stages_marked(self, html: str) -> None:
        """Listed, dbt started and ended, each named; none written past the right edge."""
        marks = re.findall(r'text-anchor="(\w+)" class="mark">([^<]+)<', html)

        assert ["listed", "dbt started", "ended"] == [name for _, name in marks]
        # the end is at the right edge: its name is written leftwards, inside the picture
        assert ("end", "ended") == marks[-1]


class TestAnEmptyRun:
    def test_says_what_did_not_happen(self) -> None:
        """A rejected run: no batch, dbt never ran, no alert, no test."""
        report = _fixture_run()
        empty = replace(
            report,
            run=replace(report.run, status="rejected", dbt=None, reason="from is after to"),
            milestones=Milestones(None, None, None, None),
            batches=[],
            tests=[],
            alerts=[],
            errors_by_kind={},
        )

        html = render_report(empty)

        assert "No batch was fetched." in html
        assert "dbt did not run." in html
        assert "Alerts (0)" in html
        assert "from is after to" in html


class TestModel:
    def test_an_unknown_alert_keeps_its_id_and_message(self) -> None:
        """A kind the report does not know yet is still listed."""
        alert = alert_from_payload({"message_id": "r/x", "message": "m", "status": "warn"})

        assert Alert("alert", "r/x", "warn", "", "m", "") == alert

    def test_api_requests_add_up(self) -> None:
        """The parts add up to the run's total."""
        figures = dict(api_requests(_fixture_run()))

        assert figures["total"] == sum(v for k, v in figures.items() if k != "total")

    def test_statuses_add_up_to_the_runs_requests(self) -> None:
        """Requests by status sum to the run's total."""
        figures = dict(requests_by_status(_fixture_run()))

        assert (10, 10) == (figures["total"], sum(v for k, v in figures.items() if k != "total"))

    def test_requests_recorded_before_statuses_were_are_named(self) -> None:
        """A run partly from before statuses were recorded: the rest is "not recorded", so the
        rows still add up to the total."""
        older = replace(_fixture_run(), statuses={"200": 3, "1000": 1, "504": 1})

        assert [("200", 3), ("504", 1), ("1000", 1), ("not recorded", 5), ("total", 10)] == (
            requests_by_status(older)
        )


class TestCommand:
    def test_writes_the_page(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        """The run asked for, rendered to the file given."""
        asked: list[str] = []

        async def fetch(run_id: str) -> RunReport | None:
            asked.append(run_id)
            return _fixture_run()

        monkeypatch.setattr(report_command, "_fetch", fetch)
        out = tmp_path / "run.html"

        result = CliRunner().invoke(app, ["report", "r-7", "-o", str(out)])

        assert 0 == result.exit_code, result.output
        assert ["r-7"] == asked
        assert render_report(_fixture_run()) == out.read_text(encoding="utf-8")

    def test_no_such_run(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        """Exit 1 and no file."""

        async def fetch(run_id: str) -> RunReport | None:
            return None

        monkeypatch.setattr(report_command, "_fetch", fetch)

        result = CliRunner().invoke(app, ["report", "nope", "-o", str(tmp_path / "x.html")])

        assert 1 == result.exit_code
        assert not (tmp_path / "x.html").exists()
