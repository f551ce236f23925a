"""Every pipeline service's FastStream app from one recipe: logging, the broker with the
service's router (declared at import, so `faststream docs gen` documents it), and a lifespan
that opens the service's resources, binds the router's handling to them, and closes them.

A service's `app.py` passes its name, what it does (the AsyncAPI document's description), its
Kafka settings, its `Consumer` and its `wiring`: an async context manager that builds the
clients and the service over the broker and yields the `Handling`. What every service gains
(health and metrics, say) is added once, here, as an `AppHook`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import asyncpg
from faststream import FastStream
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from shared.clients.broker import make_broker
from shared.clients.db import create_pool
from shared.clients.routing import Consumer, Handling
from shared.logging import configure_logging
from shared.observability import MetricsSettings, observability_hook
from shared.settings import KafkaSettings, PostgresSettings

# Opens the service's resources over the broker and yields what its consumer does with each
# message; closes them on exit.
Wiring = Callable[[KafkaBroker], AbstractAsyncContextManager[Handling[Any]]]
# Called once the app is built, before it starts: the place for what every service gets
# (an HTTP health and metrics port registers its start and stop hooks on the app here).
AppHook = Callable[[FastStream, KafkaBroker, str], object]


def service_app(
    service: str,
    description: str,
    kafka: KafkaSettings,
    consumer: Consumer[Any],
    wiring: Wiring,
    hooks: Sequence[AppHook] = (),
    metrics: MetricsSettings | None = None,
) -> FastStream:
    """The app `faststream run services.<service>.app:app` runs, with /health, /ready and
    /metrics on METRICS_PORT (`metrics`, read from the environment when not given)."""
    logger = configure_logging(service)
    broker = make_broker(kafka, logger)
    broker.include_router(consumer.router)

    @asynccontextmanager
    async def lifespan() -> AsyncIterator[None]:
        # Before the broker starts, so no message reaches the subscriber unbound.
        async with wiring(broker) as handling:
            consumer.bind(broker, handling)
            yield

    app = FastStream(
        broker, logger=logger, lifespan=lifespan, specification=specification(service, description)
    )
    for hook in (observability_hook(metrics or MetricsSettings()), *hooks):
        hook(app, broker, service)
    return app


def specification(service: str, description: str) -> AsyncAPI:
    """The service's AsyncAPI document, as scripts/asyncapi writes it into docs/asyncapi/."""
    # The version is the message contracts' (shared/messages/v1.py).
    return AsyncAPI(title=f"stocks-elt {service}", version="v1", description=description)


@asynccontextmanager
async def postgres_pool(settings: PostgresSettings) -> AsyncIterator[asyncpg.Pool]:
    """The service's one pool, closed when the service stops."""
    pool = await create_pool(settings)
    try:
        yield pool
    finally:
        await pool.close()


__all__ = ["AppHook", "Wiring", "postgres_pool", "service_app", "specification"]
