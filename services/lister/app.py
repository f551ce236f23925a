"""The lister's composition root: `faststream run services.lister.app:app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from faststream.kafka import KafkaBroker

from shared.clients.polygon import deployment_client
from shared.clients.routing import Handling
from shared.clients.storage import MinioObjectStore
from shared.messages import RunRequest
from shared.service_app import postgres_pool, service_app

from .handlers import declare, handling
from .repository import RunRepository
from .service import Lister
from .settings import ListerSettings

settings = ListerSettings()


@asynccontextmanager
async def wiring(broker: KafkaBroker) -> AsyncIterator[Handling[RunRequest]]:
    opts = settings.options
    async with (
        postgres_pool(settings.postgres) as pool,
        deployment_client(settings.polygon, pool) as api,
    ):
        lister = Lister(
            api,
            MinioObjectStore(settings.minio.for_service("lister")),
            RunRepository(pool),
            broker,
            settings.minio.raw_prefix,
            opts.include_delisted,
            opts.history_start,
            opts.days_per_batch,
            timedelta(days=opts.corporate_actions_lookback_days),
            timedelta(hours=opts.corporate_actions_fresh_hours),
        )
        yield handling(lister)


# What the service does, for its AsyncAPI document (docs/asyncapi/).
DESCRIPTION = (
    "Starts each requested run: lists the tickers, registers the run and its batches, "
    "publishes a command per batch"
)
app = service_app("lister", DESCRIPTION, settings.kafka, declare(), wiring)
