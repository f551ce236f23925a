"""dbt source freshness results: parsed from sources.json, stored with the run, and one alert
per stale source."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from services.transformer.freshness import (
    as_json,
    failed_check,
    results_from_sources_json,
    stale_alerts,
)

pytestmark = pytest.mark.unit
CRITERIA = {
    "warn_after": {"count": 3, "period": "day"},
    "error_after": {"count": 7, "period": "day"},
    "filter": None,
}


def result(table: str, status: str, age_s: float) -> dict[str, Any]:
    return {
        "unique_id": f"source.stocks_elt.polygon.{table}",
        "max_loaded_at": "2024-03-20T22:00:00+00:00",
        "snapshotted_at": "2024-03-28T22:00:00+00:00",
        "max_loaded_at_time_ago_in_s": age_s,
        "status": status,
        "criteria": CRITERIA,
        "adapter_response": {},
        "timing": [],
        "thread_id": "Thread-1",
        "execution_time": 0.01,
    }


SOURCES = {
    "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/sources/v3.json"},
    "results": [
        result("tickers", "pass", 60.0),
        result("stock_bars_daily", "error", 691200.04),
        {"unique_id": "source.stocks_elt.polygon.broken", "status": "runtime error", "error": "x"},
    ],
    "elapsed_time": 0.2,
}


class TestParsing:
    def test_each_source_by_name_with_its_status_age_and_criteria(self) -> None:
        results = results_from_sources_json(SOURCES)

        assert [
            ("polygon.broken", "runtime error", None, "x"),
            ("polygon.stock_bars_daily", "error", 691200.0, "warn_after 3 day, error_after 7 day"),
            ("polygon.tickers", "pass", 60.0, "warn_after 3 day, error_after 7 day"),
        ] == [(r.source, r.status, r.age_s, r.message) for r in results]

    def test_stored_as_plain_json(self) -> None:
        stored = as_json(results_from_sources_json(SOURCES))

        assert {"source", "status", "max_loaded_at", "age_s", "message"} == set(stored[0])

    def test_no_results_is_nothing_stale(self) -> None:
        assert [] == stale_alerts("r1", results_from_sources_json({"results": []}))


class TestAlerts:
    def test_one_alert_per_stale_source_with_a_stable_id(self) -> None:
        """Fresh sources raise nothing; a stale one and a failed check each raise one."""
        alerts = stale_alerts("r1", results_from_sources_json(SOURCES))

        assert [
            ("r1/freshness/polygon.broken", "runtime error", None),
            (
                "r1/freshness/polygon.stock_bars_daily",
                "error",
                datetime(2024, 3, 20, 22, tzinfo=UTC),
            ),
        ] == [(a.message_id, a.status, a.max_loaded_at) for a in alerts]

    def test_a_check_that_could_not_run_is_alerted(self) -> None:
        alerts = stale_alerts("r1", failed_check("dbt source freshness did not run: boom"))

        assert [("runtime error", "dbt source freshness did not run: boom")] == [
            (a.status, a.message) for a in alerts
        ]
