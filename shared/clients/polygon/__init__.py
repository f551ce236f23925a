"""The Polygon.io / Massive REST client: models, typed errors, rate limiters."""

from ._client import CorporateActionKind, PolygonClient
from ._deployment import deployment_client
from ._errors import (
    PolygonAuthError,
    PolygonBadRequest,
    PolygonError,
    PolygonGaveUp,
    PolygonIncompleteResponse,
    PolygonMalformedResponse,
    PolygonNotEntitled,
    PolygonNotFound,
    PolygonPaginationLoop,
    PolygonUnexpectedStatus,
)
from ._models import DailyBar, TickerRef, trading_date_of
from ._outcomes import TRANSPORT_ERROR, outcomes_since
from ._pg_rate_limit import PostgresRateLimiter
from ._port import PolygonApi
from ._rate_limit import InProcessRateLimiter, RateLimiter
from ._retry import RETRY_MALFORMED_RESPONSES

__all__ = [
    "RETRY_MALFORMED_RESPONSES",
    "TRANSPORT_ERROR",
    "CorporateActionKind",
    "DailyBar",
    "InProcessRateLimiter",
    "PolygonApi",
    "PolygonAuthError",
    "PolygonBadRequest",
    "PolygonClient",
    "PolygonError",
    "PolygonGaveUp",
    "PolygonIncompleteResponse",
    "PolygonMalformedResponse",
    "PolygonNotEntitled",
    "PolygonNotFound",
    "PolygonPaginationLoop",
    "PolygonUnexpectedStatus",
    "PostgresRateLimiter",
    "RateLimiter",
    "TickerRef",
    "deployment_client",
    "outcomes_since",
    "trading_date_of",
]
