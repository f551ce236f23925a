"""The fetcher's composition root: `faststream run services.fetcher.app:app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from faststream.kafka import KafkaBroker

from shared.clients.polygon import deployment_client
from shared.clients.routing import Handling
from shared.clients.storage import MinioObjectStore
from shared.messages import FetchBatch
from shared.service_app import postgres_pool, service_app

from .handlers import declare, handling
from .repository import BatchRepository
from .service import Fetcher
from .settings import FetcherSettings

settings = FetcherSettings()


@asynccontextmanager
async def wiring(broker: KafkaBroker) -> AsyncIterator[Handling[FetchBatch]]:
    async with (
        postgres_pool(settings.postgres) as pool,
        deployment_client(settings.polygon, pool) as api,
    ):
        fetcher = Fetcher(
            api,
            MinioObjectStore(settings.minio.for_service("fetcher")),
            BatchRepository(pool),
            settings.minio.raw_prefix,
            settings.options.concurrency,
        )
        yield handling(fetcher)


# What the service does, for its AsyncAPI document (docs/asyncapi/).
DESCRIPTION = (
    "Fetches each batch's daily bars (or corporate actions) from Polygon into one raw object "
    "in MinIO"
)
app = service_app("fetcher", DESCRIPTION, settings.kafka, declare(), wiring)
