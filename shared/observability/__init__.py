"""Health and metrics for every service: one HTTP port serving `/health`, `/ready` and `/metrics`
(Prometheus text), the metric definitions the services increment, and the port's settings."""

from __future__ import annotations

from . import metrics
from ._callback import CallbackCounter, register_callback_counter
from ._server import ObservabilityServer, Readiness
from ._settings import MetricsSettings, replica_port
from ._wiring import instrument, observability_hook

__all__ = [
    "CallbackCounter",
    "MetricsSettings",
    "ObservabilityServer",
    "Readiness",
    "instrument",
    "metrics",
    "observability_hook",
    "register_callback_counter",
    "replica_port",
]
