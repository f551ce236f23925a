"""The client every service builds: one request budget for the whole deployment."""

from __future__ import annotations

from shared.settings import PolygonSettings

from ._client import PolygonClient
from ._pg_rate_limit import PostgresRateLimiter, _Pool


def deployment_client(settings: PolygonSettings, pool: _Pool) -> PolygonClient:
    """A client whose rate limit is shared, through Postgres, by every process of the deployment
    (however many fetchers run). Open it with `async with`."""
    limiter = PostgresRateLimiter(
        pool,
        name=settings.rate_limit_name,
        rate_per_s=settings.rate_limit_per_s,
        burst=settings.rate_limit_burst,
    )
    return PolygonClient(settings, rate_limiter=limiter)
