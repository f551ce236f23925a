"""A build's failures told new from known, over the repository: read each non-passing test's
failing rows (dbt's store_failures tables), the previous build's failures and the accepted
exceptions; classify (failures.py); record them for the next build. Runs under the dbt lock,
before the next build replaces the failing-row tables or records its own failures."""

from __future__ import annotations

import time

import structlog

from shared.clients.db import DB_DOWN

from .core import DataTestResult, DbtOutcome, with_triage
from .failures import Failure, FailureState, classify, counts, failures_of, short_name
from .ports import TransformerRepository

log = structlog.get_logger()
# Failing rows read per test: enough for any real set of exceptions; beyond it a test's
# newness is judged on the rows read (a failure that floods a table is news anyway).
MAX_ROWS_PER_TEST = 10_000


async def triage(
    repo: TransformerRepository, run_id: str, outcome: DbtOutcome, max_rows: int = MAX_ROWS_PER_TEST
) -> DbtOutcome:
    """The outcome with new/known/acknowledged counts per non-passing test, its failures
    recorded. A build whose tests did not run is left alone (it is no previous build). When
    triage fails for another reason than the database going away, every test alerts as it
    would without it: better a repeated alert than a missed one."""
    if not outcome.tests:
        return outcome
    started = time.monotonic()
    try:
        found: list[Failure] = []
        for test in outcome.tests:
            if test.alerting:
                found += failures_of(
                    short_name(test.unique_id), test.status, await _rows(repo, test, max_rows)
                )
        classified = classify(
            found, await repo.previous_failures(run_id), await repo.acknowledgements()
        )
        await repo.record_failures(run_id, classified)
    except DB_DOWN:
        raise
    except Exception as exc:
        log.warning("failures_not_triaged", error=f"{type(exc).__name__}: {exc}"[:300])
        return outcome
    log.info(
        "failures_triaged",
        elapsed_s=round(time.monotonic() - started, 2),
        **{s.value: sum(f.state == s for f in classified) for s in FailureState},
    )
    return with_triage(outcome, counts(classified))


async def _rows(
    repo: TransformerRepository, test: DataTestResult, max_rows: int
) -> list[dict[str, object]]:
    # An errored test's table holds nothing of this build; a unit test has none.
    if test.status == "error" or test.relation_name is None:
        return []
    return await repo.failing_rows(test.relation_name, max_rows)
