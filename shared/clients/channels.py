"""What travels on each topic, as the services' AsyncAPI documents show it: one `Publication`
per topic (its payload model, title and description), and the dead-letter twin of a consumed
topic. Services still publish through the broker (shared/clients/broker.Publisher); these
declare, on each service's router, what they publish there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.clients.broker import ORIGIN_HEADER, REASON_HEADER
from shared.messages import (
    BatchLoaded,
    DataTestFailed,
    FetchBatch,
    ObjectCreated,
    RunEvent,
    RunRequest,
    SourceStale,
    topics,
)


@dataclass(frozen=True)
class Publication:
    """A topic a service publishes to, and what it carries there."""

    topic: str
    # The payload's model, a union of models, or bytes (a dead letter is the original bytes).
    schema: Any
    title: str
    description: str


RUN_REQUESTS = Publication(
    topics.RUN_REQUESTS,
    RunRequest,
    "run requests",
    "Requests for a run (the scheduler's, the CLI's); the lister starts each",
)
TICKER_BATCHES = Publication(
    topics.TICKER_BATCHES,
    FetchBatch,
    "ticker batches",
    "The lister's commands: fetch these tickers' bars (or corporate actions) into one object",
)
RAW_OBJECT_EVENTS = Publication(
    topics.RAW_OBJECT_EVENTS,
    ObjectCreated,
    "raw object events",
    "MinIO's object-created events; the transformer announces again an object whose own was lost",
)
BATCH_LOADED = Publication(
    topics.BATCH_LOADED,
    BatchLoaded,
    "batch loaded",
    "The loader's events: a batch's object is in the raw tables",
)
RUN_EVENTS = Publication(
    topics.RUN_EVENTS,
    RunEvent,
    "run events",
    "A run's progress, for people: listed, progress, transforming, finished",
)
ALERTS = Publication(
    topics.ALERTS,
    DataTestFailed | SourceStale,
    "alerts",
    "A dbt data test that failed or warned, or a source that is no longer fresh",
)


def dead_letters(topic: str, title: str, model: type[Any]) -> Publication:
    """The dead-letter twin of a consumed topic (titled `title`), which its consumer publishes
    to."""
    return Publication(
        topics.dlq(topic),
        bytes,
        f"{title} dead letters",
        f"Messages of {topic} that could not be used: the original bytes (meant as "
        f"{model.__name__}), with the reason in the {REASON_HEADER} header and the topic "
        f"in {ORIGIN_HEADER}",
    )


__all__ = [
    "ALERTS",
    "BATCH_LOADED",
    "RAW_OBJECT_EVENTS",
    "RUN_EVENTS",
    "RUN_REQUESTS",
    "TICKER_BATCHES",
    "Publication",
    "dead_letters",
]
