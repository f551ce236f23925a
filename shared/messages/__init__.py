"""Message contracts: topic names and the versioned payloads that travel on them."""

from . import topics
from .envelope import Envelope
from .minio_events import ObjectCreated
from .v1 import (
    FINAL_STATUSES,
    BatchLoaded,
    CorporateActions,
    DataTestFailed,
    FetchBatch,
    Plan,
    RunEvent,
    RunEventKind,
    RunRequest,
    RunStatus,
)

__all__ = [
    "FINAL_STATUSES",
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
    "topics",
]
