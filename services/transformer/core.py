"""The transformer's pure logic: reading dbt's run results, and how a run ends."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.messages import RunStatus


@dataclass(frozen=True)
class DbtOutcome:
    ok: bool
    models_built: int = 0
    models_failed: int = 0
    tests_passed: int = 0
    tests_failed: int = 0
    tests_warned: int = 0
    failed_nodes: list[str] = field(default_factory=list)
    error: str | None = None

    def counts(self) -> dict[str, int]:
        return {
            "models_built": self.models_built, "models_failed": self.models_failed,
            "tests_passed": self.tests_passed, "tests_failed": self.tests_failed,
            "tests_warned": self.tests_warned,
        }

    def as_json(self) -> dict[str, Any]:
        return {**self.counts(), "ok": self.ok, "failed_nodes": self.failed_nodes,
                "error": self.error}


def outcome_from_run_results(results: dict[str, Any], exit_code: int) -> DbtOutcome:
    """Count dbt's `run_results.json`: models (and unit tests) by status, data tests by status."""
    c = {"mb": 0, "mf": 0, "tp": 0, "tf": 0, "tw": 0}
    failed: list[str] = []
    for r in results.get("results", []):
        uid, status = str(r.get("unique_id", "")), str(r.get("status", ""))
        if uid.startswith(("test.", "unit_test.")):
            key = {"pass": "tp", "fail": "tf", "error": "tf", "warn": "tw"}.get(status)
        elif uid.startswith(("model.", "seed.", "snapshot.")):
            key = {"success": "mb", "error": "mf", "skipped": "mf"}.get(status)
        else:
            key = None
        if key is not None:
            c[key] += 1
        if status in ("fail", "error", "skipped"):
            failed.append(uid)
    return DbtOutcome(ok=exit_code == 0, models_built=c["mb"], models_failed=c["mf"],
                      tests_passed=c["tp"], tests_failed=c["tf"], tests_warned=c["tw"],
                      failed_nodes=failed)


def final_status(dbt: DbtOutcome, tickers_failed: int) -> tuple[RunStatus, str | None]:
    """Failed when dbt could not build the models; with errors when tickers or tests failed."""
    if dbt.error is not None or dbt.models_failed:
        return RunStatus.FAILED, dbt.error or f"dbt: {dbt.models_failed} models failed"
    problems = []
    if tickers_failed:
        problems.append(f"{tickers_failed} tickers failed")
    if dbt.tests_failed:
        problems.append(f"{dbt.tests_failed} dbt tests failed: {', '.join(dbt.failed_nodes[:10])}")
    if problems:
        return RunStatus.SUCCEEDED_WITH_ERRORS, "; ".join(problems)
    return RunStatus.SUCCEEDED, None
