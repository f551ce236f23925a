"""Every pipeline service's FastStream app from one recipe: logging, the broker, and a lifespan
that opens the service's resources, includes its router, and closes them at shutdown.

A service's `app.py` passes its name, its Kafka settings and its `wiring`: an async context
manager that builds the clients and the service over the broker and yields the router. What
every service gains (health and metrics, say) is added once, here, as an `AppHook`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import asyncpg
from faststream import FastStream
from faststream.kafka import KafkaBroker, KafkaRouter

from shared.clients.broker import make_broker
from shared.clients.db import create_pool
from shared.logging import configure_logging
from shared.observability import MetricsSettings, observability_hook
from shared.settings import KafkaSettings, PostgresSettings

# Opens the service's resources over the broker and yields its router; closes them on exit.
Wiring = Callable[[KafkaBroker], AbstractAsyncContextManager[KafkaRouter]]
# Called once the app is built, before it starts: the place for what every service gets
# (an HTTP health and metrics port registers its start and stop hooks on the app here).
AppHook = Callable[[FastStream, KafkaBroker, str], object]


def service_app(
    service: str,
    kafka: KafkaSettings,
    wiring: Wiring,
    hooks: Sequence[AppHook] = (),
    metrics: MetricsSettings | None = None,
) -> FastStream:
    """The app `faststream run services.<service>.app:app` runs, with /health, /ready and
    /metrics on METRICS_PORT (`metrics`, read from the environment when not given)."""
    logger = configure_logging(service)
    broker = make_broker(kafka, logger)

    @asynccontextmanager
    async def lifespan() -> AsyncIterator[None]:
        # Before the broker starts: subscribers included here are started with it.
        async with wiring(broker) as router:
            broker.include_router(router)
            yield

    app = FastStream(broker, logger=logger, lifespan=lifespan)
    for hook in (observability_hook(metrics or MetricsSettings()), *hooks):
        hook(app, broker, service)
    return app


@asynccontextmanager
async def postgres_pool(settings: PostgresSettings) -> AsyncIterator[asyncpg.Pool]:
    """The service's one pool, closed when the service stops."""
    pool = await create_pool(settings)
    try:
        yield pool
    finally:
        await pool.close()


__all__ = ["AppHook", "Wiring", "postgres_pool", "service_app"]
