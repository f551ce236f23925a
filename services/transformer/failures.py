"""New against known: a build's test failures fingerprinted, then classified as new (not in the
previous build), known (in it) or acknowledged (an accepted exception). Pure: the rows come in,
the classes go out; reading dbt's failing rows and the ledger is triage.py's."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

# Columns that say which thing failed, not how badly: a ticker whose gap grows by a day, or
# whose last bar moves on, is the same failure; so is a corporate action rejected again from
# another object (rejection_id names the object). A row with none of them is identified whole.
IDENTITY_COLUMNS = (
    "ticker",
    "trading_date",
    "bar_id",
    "first_bar_date",
    "valid_until_date",
    "action_kind",
    "event_id",
)
# The key an acknowledgement names: a row's ticker; `*` accepts every failure of the test.
KEY_COLUMN = "ticker"
ANY_KEY = "*"


class FailureState(StrEnum):
    NEW = "new"
    KNOWN = "known"  # the previous build had it
    ACKNOWLEDGED = "acknowledged"  # someone accepted it (stocks-elt ack), with why


@dataclass(frozen=True)
class Failure:
    """One failure of a test: a failing row, or the test itself when it has no rows (it
    errored, it is a unit test, or its rows were not stored)."""

    test_name: str
    fingerprint: str
    key: str
    state: FailureState = FailureState.NEW


@dataclass(frozen=True)
class FailureCounts:
    new: int = 0
    known: int = 0
    acknowledged: int = 0


def short_name(unique_id: str) -> str:
    """dbt's id without type, project and hash: `test.stocks_elt.<name>.<hash>` -> `<name>`,
    `unit_test.stocks_elt.<model>.<name>` -> `<model>.<name>`. Stable when a test's config
    (and so its hash) changes."""
    parts = unique_id.split(".")
    if parts[0] == "unit_test" and len(parts) > 3:
        return ".".join(parts[2:])
    return parts[2] if len(parts) > 2 else unique_id


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def failures_of(name: str, status: str, rows: Iterable[Mapping[str, Any]]) -> list[Failure]:
    """The failures of one test from its failing rows (duplicates are one failure); a test
    without rows is one failure of its own, keyed `*`."""
    found: dict[str, Failure] = {}
    for row in rows:
        identity = {c: row[c] for c in IDENTITY_COLUMNS if c in row} or dict(row)
        key = row.get(KEY_COLUMN)
        fingerprint = _digest(identity)
        found[fingerprint] = Failure(name, fingerprint, ANY_KEY if key is None else str(key))
    if not found:
        return [Failure(name, _digest({"test": name, "status": status}), ANY_KEY)]
    return list(found.values())


def classify(
    failures: Iterable[Failure],
    previous: set[tuple[str, str]],
    acknowledged: set[tuple[str, str]],
) -> list[Failure]:
    """Acknowledged when (test, key) or (test, `*`) is accepted; else known when the previous
    build had the same (test, fingerprint); else new."""
    out = []
    for f in failures:
        if (f.test_name, f.key) in acknowledged or (f.test_name, ANY_KEY) in acknowledged:
            state = FailureState.ACKNOWLEDGED
        elif (f.test_name, f.fingerprint) in previous:
            state = FailureState.KNOWN
        else:
            state = FailureState.NEW
        out.append(replace(f, state=state))
    return out


def counts(classified: Iterable[Failure]) -> dict[str, FailureCounts]:
    """Per test name: how many of its failures are new, known and acknowledged."""
    tally: dict[str, dict[FailureState, int]] = {}
    for f in classified:
        by_state = tally.setdefault(f.test_name, dict.fromkeys(FailureState, 0))
        by_state[f.state] += 1
    return {
        name: FailureCounts(
            c[FailureState.NEW], c[FailureState.KNOWN], c[FailureState.ACKNOWLEDGED]
        )
        for name, c in tally.items()
    }
