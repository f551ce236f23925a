"""Every metric of the pipeline, defined once (in prometheus_client's default registry, which
`/metrics` serves); services increment them where the thing happens. Labels stay few and
bounded: a status, a topic, a reason's kind, never an id or a ticker."""

from __future__ import annotations

from typing import Any

from prometheus_client import REGISTRY, Counter, Histogram

_P = "stocks_elt"

RUNS = Counter(f"{_P}_runs", "Runs that reached a status", ["status"])
SCHEDULED_SLOTS = Counter(
    f"{_P}_scheduled_slots", "Schedule slots seen due: started here, or already run", ["outcome"]
)
BATCHES_FETCHED = Counter(f"{_P}_batches_fetched", "Batches whose object was stored")
BATCHES_LOADED = Counter(f"{_P}_batches_loaded", "Batches loaded into the raw tables")
BARS_LOADED = Counter(f"{_P}_bars_loaded", "Daily bars loaded into the raw tables")
API_REQUESTS = Counter(f"{_P}_api_requests", "Polygon API answers by HTTP status", ["status"])
API_RETRIES = Counter(
    f"{_P}_api_retries", "Polygon API requests retried, by the status that caused it", ["status"]
)
RATE_LIMIT_WAITS = Counter(f"{_P}_rate_limit_waits", "Requests that waited for the rate limit")
RATE_LIMIT_WAIT_SECONDS = Counter(
    f"{_P}_rate_limit_wait_seconds", "Seconds spent waiting for the rate limit"
)
DBT_BUILD_SECONDS = Histogram(
    f"{_P}_dbt_build_seconds",
    "Duration of dbt builds",
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600),
)
DBT_TEST_FAILURES = Counter(
    f"{_P}_dbt_test_failures", "dbt tests that failed, errored or warned", ["status"]
)
SOURCE_FRESHNESS = Counter(
    f"{_P}_source_freshness_checks", "dbt source freshness results by status", ["status"]
)
DEAD_LETTERS = Counter(
    f"{_P}_dead_letters", "Messages sent to a dead-letter topic", ["topic", "reason"]
)


def dead_letter_reason(reason: str) -> str:
    """A bounded label for a dead-letter reason: its kind, not its text."""
    if reason.startswith("invalid "):
        return "invalid"
    if reason.startswith("gave up"):
        return "gave_up"
    return "permanent"


def faststream_middleware(service: str) -> Any:
    """FastStream's own Prometheus middleware (messages received, published, in flight, their
    duration and size, by topic), into the same registry."""
    from faststream.kafka.prometheus import KafkaPrometheusMiddleware

    return KafkaPrometheusMiddleware(registry=REGISTRY, app_name=service)


__all__ = [
    "API_REQUESTS",
    "API_RETRIES",
    "BARS_LOADED",
    "BATCHES_FETCHED",
    "BATCHES_LOADED",
    "DBT_BUILD_SECONDS",
    "DBT_TEST_FAILURES",
    "DEAD_LETTERS",
    "RATE_LIMIT_WAITS",
    "RATE_LIMIT_WAIT_SECONDS",
    "RUNS",
    "SCHEDULED_SLOTS",
    "SOURCE_FRESHNESS",
    "dead_letter_reason",
    "faststream_middleware",
]
