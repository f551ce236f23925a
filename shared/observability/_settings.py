"""Where a service serves its health and metrics, and which port each native replica gets."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# Natively every replica shares one host, so `stocks-elt services up` gives replica k of a
# service METRICS_PORT + its offset + k - 1; a container has a network of its own and keeps
# METRICS_PORT. Up to ten replicas a service.
PORT_OFFSETS = {
    "lister": 0,
    "fetcher": 10,
    "loader": 20,
    "transformer": 30,
    "scheduler": 40,
    "polygon_sim": 50,
}


class MetricsSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="METRICS_", env_file=".env", env_ignore_empty=True, extra="ignore"
    )

    host: str = Field(
        "127.0.0.1", description="Address of /health and /metrics (0.0.0.0 in a container)"
    )
    port: int = Field(
        9400, ge=0, le=65535, description="Port of /health and /metrics; 0 turns them off"
    )
    ready_timeout_s: float = Field(
        2.0, gt=0, description="How long /ready waits for the broker before it says not ready"
    )


def replica_port(base: int, service: str, index: int) -> int:
    """The metrics port of a native replica (index from 1)."""
    return base + PORT_OFFSETS[service] + index - 1
