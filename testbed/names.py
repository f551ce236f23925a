"""Unique names for test resources, so tests never see each other's data."""

from __future__ import annotations

import uuid


def unique(prefix: str) -> str:
    """A lowercase name safe for buckets, databases and topics."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def unique_db(prefix: str = "stocks_test") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"
