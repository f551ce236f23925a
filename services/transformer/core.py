"""The transformer's pure logic: reading dbt's run results, how a run ends, and its alerts."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from shared.messages import DataTestFailed, RunStatus

from .failures import FailureCounts, short_name
from .freshness import SourceFreshness

# A test's status that is worth an alert; `pass` and `skipped` are not.
ALERTING = ("fail", "error", "warn")
# dbt's message of a test that errored carries the SQL error; keep alerts and rows small.
MAX_MESSAGE = 2000


@dataclass(frozen=True)
class DataTestResult:
    """One dbt test of a build (data test or unit test), as run_results.json reports it."""

    unique_id: str
    status: str  # pass | fail | warn | error | skipped
    failures: int | None = None
    message: str | None = None
    # dbt's table of the test's failing rows (store_failures); none for unit tests.
    relation_name: str | None = None
    # Of its failures, how many the previous build did not have, had, or someone accepted
    # (failures.py); None before triage or when it could not run (the test then alerts).
    triage: FailureCounts | None = None

    @property
    def alerting(self) -> bool:
        return self.status in ALERTING

    @property
    def alerts(self) -> bool:
        """Worth an alert: not passed, and with a failure that is new (or not triaged)."""
        return self.alerting and (self.triage is None or self.triage.new > 0)

    @property
    def severity(self) -> str:
        """error when the test makes the run end with errors, warn when it does not."""
        return "warn" if self.status == "warn" else "error"


@dataclass(frozen=True)
class DbtOutcome:
    ok: bool
    models_built: int = 0
    models_failed: int = 0  # errored or skipped
    tests_passed: int = 0
    tests_failed: int = 0
    tests_warned: int = 0
    failed_nodes: list[str] = field(default_factory=list)
    error: str | None = None
    tests: tuple[DataTestResult, ...] = ()
    # Of models_failed, those dbt skipped (not errored): a failed test upstream held them back.
    models_skipped: int = 0
    # `dbt source freshness` after the build: stored with the run, a stale source alerted.
    freshness: tuple[SourceFreshness, ...] = ()

    def counts(self) -> dict[str, int]:
        return {
            "models_built": self.models_built,
            "models_failed": self.models_failed,
            "tests_passed": self.tests_passed,
            "tests_failed": self.tests_failed,
            "tests_warned": self.tests_warned,
        }

    def as_json(self) -> dict[str, Any]:
        return {
            **self.counts(),
            "models_skipped": self.models_skipped,
            "ok": self.ok,
            "failed_nodes": self.failed_nodes,
            "error": self.error,
        }


def _test_result(r: dict[str, Any]) -> DataTestResult:
    failures, message = r.get("failures"), r.get("message")
    return DataTestResult(
        str(r.get("unique_id", "")),
        str(r.get("status", "")),
        failures if isinstance(failures, int) else None,
        str(message)[:MAX_MESSAGE] if message is not None else None,
        r.get("relation_name") or None,
    )


def outcome_from_run_results(results: dict[str, Any], exit_code: int) -> DbtOutcome:
    """Count dbt's `run_results.json`: models (and unit tests) by status, data tests by status;
    keep every test with its status, failures and message."""
    c = {"mb": 0, "mf": 0, "tp": 0, "tf": 0, "tw": 0, "ms": 0}
    failed: list[str] = []
    tests: list[DataTestResult] = []
    for r in results.get("results", []):
        uid, status = str(r.get("unique_id", "")), str(r.get("status", ""))
        if uid.startswith(("test.", "unit_test.")):
            key = {"pass": "tp", "fail": "tf", "error": "tf", "warn": "tw"}.get(status)
            tests.append(_test_result(r))
        elif uid.startswith(("model.", "seed.", "snapshot.")):
            key = {"success": "mb", "error": "mf", "skipped": "mf"}.get(status)
            c["ms"] += status == "skipped"
        else:
            key = None
        if key is not None:
            c[key] += 1
        if status in ("fail", "error", "skipped"):
            failed.append(uid)
    return DbtOutcome(
        ok=exit_code == 0,
        models_built=c["mb"],
        models_failed=c["mf"],
        tests_passed=c["tp"],
        tests_failed=c["tf"],
        tests_warned=c["tw"],
        failed_nodes=failed,
        tests=tuple(tests),
        models_skipped=c["ms"],
    )


def slowest_nodes(results: dict[str, Any], n: int = 5) -> list[tuple[str, float]]:
    """The build's n slowest nodes by dbt's own execution time, slowest first: where a build's
    time went, logged with every build (run_results.json lives only in a temporary directory)."""
    timed = [
        (short_name(str(r.get("unique_id", ""))), float(r.get("execution_time") or 0.0))
        for r in results.get("results", [])
    ]
    return sorted(timed, key=lambda t: t[1], reverse=True)[:n]


def final_status(dbt: DbtOutcome, tickers_failed: int) -> tuple[RunStatus, str | None]:
    """Failed when dbt could not build the models; with errors when tickers or tests failed.

    A failed test makes `dbt build` skip the models downstream of it: they keep their last good
    state, so the run ends with errors naming the tests, not failed."""
    held_back = dbt.models_skipped if dbt.tests_failed else 0
    if dbt.error is not None or dbt.models_failed > held_back:
        return RunStatus.FAILED, dbt.error or f"dbt: {dbt.models_failed} models failed"
    problems = []
    if tickers_failed:
        problems.append(f"{tickers_failed} tickers failed")
    if dbt.tests_failed:
        # The tests themselves when the build reported them; skipped models are counted apart.
        names = [t.unique_id for t in dbt.tests if t.status in ("fail", "error")]
        named = ", ".join((names or dbt.failed_nodes)[:10])
        problems.append(f"{dbt.tests_failed} dbt tests failed: {named}")
    if held_back:
        problems.append(f"{held_back} models skipped after the failed tests")
    if problems:
        return RunStatus.SUCCEEDED_WITH_ERRORS, "; ".join(problems)
    return RunStatus.SUCCEEDED, None


def with_triage(dbt: DbtOutcome, by_name: dict[str, FailureCounts]) -> DbtOutcome:
    """The outcome with each non-passing test's new, known and acknowledged counts."""
    tests = tuple(
        replace(t, triage=by_name.get(short_name(t.unique_id), FailureCounts()))
        if t.alerting
        else t
        for t in dbt.tests
    )
    return replace(dbt, tests=tests)


def alerts(run_id: str, dbt: DbtOutcome) -> list[DataTestFailed]:
    """One alert per test that failed, errored or warned with a failure that is new since the
    previous build and not acknowledged, with a deterministic id."""
    return [
        DataTestFailed(
            run_id=run_id,
            message_id=f"{run_id}/{t.unique_id}",
            unique_id=t.unique_id,
            status=t.status,
            severity=t.severity,
            failures=t.failures,
            message=t.message,
            new_failures=t.triage.new if t.triage else None,
            known_failures=t.triage.known if t.triage else None,
            acknowledged_failures=t.triage.acknowledged if t.triage else None,
        )
        for t in dbt.tests
        if t.alerts
    ]
