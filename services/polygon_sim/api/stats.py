"""Request counters per endpoint kind and HTTP status, so tests can assert what a pipeline did."""

from __future__ import annotations

from collections import Counter
from typing import Any

KINDS = ("tickers", "range", "grouped", "splits", "dividends")


class RequestStats:
    """Counts every request to the API endpoints, whatever its outcome."""

    def __init__(self) -> None:
        self._kinds: Counter[str] = Counter()
        self._answered: Counter[str] = Counter()  # per kind, not a 5xx or 429 (a retry's cause)
        self._statuses: Counter[str] = Counter()

    def record(self, kind: str, status: int) -> None:
        """Count one answered request."""
        self._kinds[kind] += 1
        self._answered[kind] += status < 500 and status != 429
        self._statuses[str(status)] += 1

    def snapshot(self) -> dict[str, Any]:
        """Counts so far: per kind (all kinds present, zeros included), per status, and total."""
        return {
            "requests": {kind: self._kinds[kind] for kind in KINDS},
            # What a client asked for, less the attempts a fault made it repeat.
            "answered": {kind: self._answered[kind] for kind in KINDS},
            "statuses": dict(sorted(self._statuses.items())),
            "total": sum(self._kinds.values()),
        }

    def reset(self) -> None:
        """Forget all counts."""
        self._kinds.clear()
        self._answered.clear()
        self._statuses.clear()
