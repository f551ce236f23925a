"""A run report as one self-contained HTML page (inline CSS and SVG, no scripts, nothing
fetched): summary, timeline, API requests, dbt, alerts. Pure: a RunReport in, text out."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from html import escape
from http import HTTPStatus
from typing import Any

from .report_model import RunReport, api_requests, requests_by_status, tests_by_status
from .report_timeline import FETCHED_COLOUR, LOADED_COLOUR, timeline_svg

_CSS = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
table { border-collapse: collapse; margin: .5em 0 1em; }
th, td { border-bottom: 1px solid #ddd; padding: .2em .8em; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.pass, .succeeded { color: #2a7d2a; } .warn, .succeeded_with_errors { color: #b07800; }
.fail, .error, .failed, .rejected { color: #c62828; font-weight: bold; }
svg text { font-size: 11px; fill: #555; } .legend span { padding: 0 1em 0 .3em; }
"""


# failures and errors first, skipped tests (behind a failure) last
_PROBLEM_ORDER = {"warn": 1, "skipped": 2}


def _cell(value: Any) -> str:
    if isinstance(value, int):
        return f'<td class="n">{value:,}</td>'
    return f"<td>{escape('' if value is None else str(value))}</td>"


def _table(head: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{header}</tr>{body}</table>"


def _when(at: datetime | None) -> str:
    return f"{at:%Y-%m-%d %H:%M:%S} UTC" if at else "—"


def _seconds(start: datetime | None, end: datetime | None) -> str:
    return f"{(end - start).total_seconds():.0f} s" if start and end else "—"


def _summary(report: RunReport) -> str:
    run, m = report.run, report.milestones
    rows = [
        ("status", run.status),
        ("requested", _when(m.requested_at)),
        ("finished", _when(m.finished_at)),
        ("duration", _seconds(m.requested_at, m.finished_at)),
        ("of which dbt", _seconds(m.transform_started_at, m.finished_at)),
        ("plan", run.plan or "—"),
        ("batches loaded", f"{run.loaded} of {run.total if run.total is not None else '?'}"),
        ("tickers", run.tickers if run.tickers is not None else "—"),
        ("tickers without bars", run.tickers_failed),
        ("bars loaded", run.bars),
    ]
    if run.reason:
        rows.append(("reason", run.reason))
    return '<section id="summary"><h2>Summary</h2>' + _table(("", ""), rows) + "</section>"


def _timeline(report: RunReport) -> str:
    m, batches = report.milestones, report.batches
    start = m.requested_at or min((b.fetched_at for b in batches if b.fetched_at), default=None)
    if start is None:
        return '<section id="timeline"><h2>Timeline</h2><p>No batch was fetched.</p></section>'
    marks = {"listed": m.listed_at, "dbt started": m.transform_started_at, "ended": m.finished_at}
    svg = timeline_svg(
        start,
        [b.fetched_at for b in batches if b.fetched_at],
        [b.loaded_at for b in batches if b.loaded_at],
        report.run.total or len(batches),
        {name: at for name, at in marks.items() if at is not None},
    )
    legend = (
        f'<p class="legend"><svg width="20" height="4"><rect width="20" height="4" '
        f'fill="{FETCHED_COLOUR}"/></svg><span>fetched</span><svg width="20" height="4">'
        f'<rect width="20" height="4" fill="{LOADED_COLOUR}"/></svg><span>loaded</span></p>'
    )
    rows = [
        (b.batch_id, b.kind, b.tickers, _when(b.fetched_at), _when(b.loaded_at), b.bars)
        for b in batches
    ]
    table = _table(("batch", "kind", "tickers", "fetched", "loaded", "bars"), rows)
    details = f"<details><summary>{len(batches)} batches</summary>{table}</details>"
    return f'<section id="timeline"><h2>Timeline</h2>{svg}{legend}{details}</section>'


def _meaning(status: str) -> str:
    """What an outcome stands for: the HTTP reason phrase, or why there was no answer."""
    if status == "error":
        return "no answer (timeout, refused or dropped connection)"
    try:
        return HTTPStatus(int(status)).phrase
    except ValueError:  # a code Python does not name, or "not recorded", "total"
        return ""


def _api(report: RunReport) -> str:
    errors = _table(("kind", "tickers"), sorted(report.errors_by_kind.items()))
    by_status = [(s, _meaning(s), n) for s, n in requests_by_status(report)]
    return (
        '<section id="api"><h2>API requests</h2>'
        + _table(("requests", "count"), api_requests(report))
        + "<h3>API requests by status</h3><p>Every page and every retry, the lister's and the"
        " batches' (a batch fetched again counts its last fetch).</p>"
        + _table(("status", "meaning", "requests"), by_status)
        + "<h3>Tickers without bars, by why</h3>"
        + (errors if report.errors_by_kind else "<p>None.</p>")
        + "</section>"
    )


def _dbt(report: RunReport) -> str:
    dbt = report.run.dbt or {}
    nodes = [
        (name.replace("_", " "), dbt[name])
        for name in ("models_built", "models_failed", "models_skipped")
        if isinstance(dbt.get(name), int)
    ]
    counts = tests_by_status(report.tests)
    summary = ", ".join(
        f'<span class="{escape(s)}">{n} {escape(s)}</span>' for s, n in counts.items()
    )
    problems = sorted(
        [
            (t.unique_id, t.status, t.failures, t.message)
            for t in report.tests
            if t.status != "pass"
        ],
        key=lambda p: (_PROBLEM_ORDER.get(p[1], 0), p[0]),
    )
    failed = [(str(node),) for node in dbt.get("failed_nodes") or []]
    return (
        '<section id="dbt"><h2>dbt nodes and tests</h2>'
        + (_table(("nodes", "count"), nodes) if nodes else "<p>dbt did not run.</p>")
        + (_table(("failed node",), failed) if failed else "")
        + f"<h3>{len(report.tests)} tests</h3><p>{summary or 'none recorded'}</p>"
        + (_table(("test", "status", "failures", "message"), problems) if problems else "")
        + "</section>"
    )


def _alerts(report: RunReport) -> str:
    rows = [(a.kind, a.subject, a.status, a.severity, a.message) for a in report.alerts]
    table = _table(("kind", "subject", "status", "severity", "message"), rows)
    return (
        f'<section id="alerts"><h2>Alerts ({len(rows)})</h2>'
        + (table if rows else "<p>None.</p>")
        + "</section>"
    )


def render_report(report: RunReport) -> str:
    run_id, status = escape(report.run.run_id), escape(report.run.status)
    return "\n".join(
        [
            "<!doctype html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>run {run_id}</title><style>{_CSS}</style></head><body>",
            f'<h1>Run {run_id} <span class="{status}">{status}</span></h1>',
            _summary(report),
            _timeline(report),
            _api(report),
            _dbt(report),
            _alerts(report),
            "</body></html>",
        ]
    )
