"""Every Kafka topic name, in one place. Services import these; they never spell a topic."""

from __future__ import annotations

RUN_REQUESTS = "stocks.run-requests"
TICKER_BATCHES = "stocks.ticker-batches"
RAW_OBJECT_EVENTS = "stocks.raw-object-events"
BATCH_LOADED = "stocks.batch-loaded"
RUN_EVENTS = "stocks.run-events"
ALERTS = "stocks.alerts"

# Topics a service consumes; each has a dead-letter twin and at least 12 partitions.
CONSUMED = (RUN_REQUESTS, TICKER_BATCHES, RAW_OBJECT_EVENTS, BATCH_LOADED)
# Topics no service consumes: they are for people (the CLI reads Postgres).
PUBLISHED_ONLY = (RUN_EVENTS, ALERTS)


def dlq(topic: str) -> str:
    """The dead-letter twin of a consumed topic."""
    return f"{topic}.dlq"


def all_topics() -> list[str]:
    """Every topic bootstrap creates."""
    return [*CONSUMED, *(dlq(t) for t in CONSUMED), *PUBLISHED_ONLY]


__all__ = [
    "ALERTS",
    "BATCH_LOADED",
    "CONSUMED",
    "PUBLISHED_ONLY",
    "RAW_OBJECT_EVENTS",
    "RUN_EVENTS",
    "RUN_REQUESTS",
    "TICKER_BATCHES",
    "all_topics",
    "dlq",
]
