"""Ports and adapters of external systems; each subpackage owns one (polygon: the REST API)."""

from .polygon import (
    DailyBar,
    InProcessRateLimiter,
    PolygonClient,
    PolygonError,
    PostgresRateLimiter,
    RateLimiter,
    TickerRef,
)

__all__ = [
    "DailyBar",
    "InProcessRateLimiter",
    "PolygonClient",
    "PolygonError",
    "PostgresRateLimiter",
    "RateLimiter",
    "TickerRef",
]
