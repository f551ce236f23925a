"""What a run report holds, read from the control tables, and the figures derived from it
(pure: the reads are in report.py, the HTML in report_html.py)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .runs import BatchRow, RunProgress


@dataclass(frozen=True)
class Milestones:
    """When the run reached each stage (control.runs); None until it did."""

    requested_at: datetime | None
    listed_at: datetime | None
    transform_started_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class DataTestResult:
    """One dbt test of the run (control.run_test_results)."""

    unique_id: str
    status: str  # pass | fail | warn | error | skipped
    failures: int | None
    message: str | None


@dataclass(frozen=True)
class Alert:
    """One alert the run published (stocks.alerts, as kept in control.outbox)."""

    kind: str  # dbt test | stale source | alert
    subject: str
    status: str
    severity: str
    message: str
    produced_at: str


@dataclass(frozen=True)
class RunReport:
    run: RunProgress
    milestones: Milestones
    batches: list[BatchRow]
    errors_by_kind: dict[str, int]
    tests: list[DataTestResult]
    alerts: list[Alert]
    # the run's API requests by outcome ("200", "429", "error"): the lister's and its batches'
    statuses: dict[str, int]


def alert_from_payload(payload: dict[str, Any]) -> Alert:
    """Any alert, known kind or not: a failed dbt test names its node, a stale source its
    source; an unknown kind still shows its id and message."""
    if "unique_id" in payload:
        kind, subject = "dbt test", str(payload["unique_id"])
    elif "source" in payload:
        kind, subject = "stale source", str(payload["source"])
    else:
        kind, subject = "alert", str(payload.get("message_id", ""))
    return Alert(
        kind,
        subject,
        str(payload.get("status") or ""),
        str(payload.get("severity") or ""),
        str(payload.get("message") or ""),
        str(payload.get("produced_at") or ""),
    )


def api_requests(report: RunReport) -> list[tuple[str, int]]:
    """The run's API requests by where they stand: the lister's own (listing, reference data),
    those of loaded batches, of fetched but unloaded ones, and the total."""
    fetched = [b for b in report.batches if b.fetched_at is not None]
    loaded = sum(b.api_requests or 0 for b in fetched if b.loaded_at is not None)
    unloaded = sum(b.api_requests or 0 for b in fetched if b.loaded_at is None)
    lister = report.run.api_requests - loaded - unloaded
    return [
        ("lister (listing, reference data)", lister),
        ("batches fetched and loaded", loaded),
        ("batches fetched, not loaded", unloaded),
        ("total", report.run.api_requests),
    ]


def requests_by_status(report: RunReport) -> list[tuple[str, int]]:
    """The run's API requests by outcome, HTTP statuses in order then "error" (no answer), then
    those recorded before outcomes were (rows older than migration 0015), and the total."""
    codes = sorted(
        report.statuses, key=lambda s: (not s.isdigit(), int(s) if s.isdigit() else 0, s)
    )
    rows = [(s, report.statuses[s]) for s in codes if report.statuses[s]]
    unrecorded = report.run.api_requests - sum(n for _, n in rows)
    if unrecorded > 0:
        rows.append(("not recorded", unrecorded))
    return [*rows, ("total", report.run.api_requests)]


def tests_by_status(tests: list[DataTestResult]) -> dict[str, int]:
    """How many tests ended in each status, in a fixed order (statuses absent are left out)."""
    counted = Counter(t.status for t in tests)
    order = ["pass", "warn", "fail", "error", "skipped"]
    return {s: counted[s] for s in [*order, *sorted(set(counted) - set(order))] if counted[s]}
