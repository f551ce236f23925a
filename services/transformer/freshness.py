"""dbt source freshness after a build: the results of `dbt source freshness` (its sources.json),
what is stored with the run, and the alert of each stale source. Pure: no IO."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from shared.messages import SourceStale


@dataclass(frozen=True)
class SourceFreshness:
    source: str  # "<source>.<table>", e.g. polygon.stock_bars_daily
    status: str  # pass | warn | error | runtime error
    max_loaded_at: str | None = None  # ISO 8601, UTC
    age_s: float | None = None
    message: str | None = None

    @property
    def stale(self) -> bool:
        return self.status != "pass"


def results_from_sources_json(doc: dict[str, Any]) -> list[SourceFreshness]:
    """One result per checked source, by name; sources without a freshness rule are absent."""
    return sorted((_result(r) for r in doc.get("results") or []), key=lambda r: r.source)


def _result(r: dict[str, Any]) -> SourceFreshness:
    # source.<project>.<source>.<table>
    source = ".".join(str(r.get("unique_id", "?")).split(".")[2:]) or str(r.get("unique_id"))
    age = r.get("max_loaded_at_time_ago_in_s")
    return SourceFreshness(
        source=source,
        status=str(r.get("status")),
        max_loaded_at=r.get("max_loaded_at"),
        age_s=round(float(age), 1) if age is not None else None,
        message=r.get("error") or _criteria(r.get("criteria")),
    )


def _criteria(criteria: dict[str, Any] | None) -> str | None:
    if not criteria:
        return None
    parts = [
        f"{name} {c['count']} {c['period']}"
        for name in ("warn_after", "error_after")
        if (c := criteria.get(name)) and c.get("count") is not None
    ]
    return ", ".join(parts) or None


def failed_check(error: str) -> list[SourceFreshness]:
    """What is stored when the check itself could not run."""
    return [SourceFreshness(source="all", status="runtime error", message=error[:500])]


def as_json(results: list[SourceFreshness]) -> list[dict[str, Any]]:
    return [asdict(r) for r in results]


def stale_alerts(run_id: str, results: list[SourceFreshness]) -> list[SourceStale]:
    """One alert per stale source, its id stable per run and source (a resumed run's relay
    publishes it once more at most, with the same id)."""
    return [
        SourceStale(
            run_id=run_id,
            message_id=f"{run_id}/freshness/{r.source}",
            source=r.source,
            status=r.status if r.status in ("warn", "error") else "runtime error",
            max_loaded_at=datetime.fromisoformat(r.max_loaded_at) if r.max_loaded_at else None,
            age_s=r.age_s,
            message=r.message,
        )
        for r in results
        if r.stale
    ]
