"""Message contracts: topic names and the versioned payloads that travel on them."""

from shared.db.control import RunStatus

from . import topics
from .envelope import Envelope
from .minio_events import ObjectCreated
from .v1 import (
    BatchLoaded,
    CorporateActions,
    DataTestFailed,
    FetchBatch,
    Plan,
    RunEvent,
    RunEventKind,
    RunRequest,
    SourceStale,
)

__all__ = [
    "BatchLoaded",
    "CorporateActions",
    "DataTestFailed",
    "Envelope",
    "FetchBatch",
    "ObjectCreated",
    "Plan",
    "RunEvent",
    "RunEventKind",
    "RunRequest",
    "RunStatus",
    "SourceStale",
    "topics",
]
