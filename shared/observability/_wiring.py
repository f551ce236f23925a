"""Adding health and metrics to a FastStream service in one call: FastStream's Prometheus
middleware on the broker, and the HTTP port for the app's whole life (up before the broker
connects, so a service stuck connecting still answers: live, not ready)."""

from __future__ import annotations

from collections.abc import Callable

from faststream import FastStream
from faststream.kafka import KafkaBroker

from . import metrics
from ._server import ObservabilityServer
from ._settings import MetricsSettings


def instrument(
    app: FastStream, broker: KafkaBroker, service: str, settings: MetricsSettings
) -> ObservabilityServer:
    broker.add_middleware(metrics.faststream_middleware(service))

    async def ready() -> bool:
        return await broker.ping(settings.ready_timeout_s)

    server = ObservabilityServer(settings, ready)

    # Hooks without parameters: FastStream would fill a hook's parameters from its CLI options.
    async def start() -> None:
        await server.start()

    async def stop() -> None:
        await server.stop()

    if settings.port:
        app.on_startup(start)
        app.after_shutdown(stop)
    return server


def observability_hook(
    settings: MetricsSettings,
) -> Callable[[FastStream, KafkaBroker, str], ObservabilityServer]:
    """`instrument` as a shared/service_app.py AppHook."""

    def hook(app: FastStream, broker: KafkaBroker, service: str) -> ObservabilityServer:
        return instrument(app, broker, service, settings)

    return hook
