"""The fetcher's composition root: `faststream run services.fetcher.app:app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from faststream.kafka import KafkaBroker, KafkaRouter

from shared.clients.polygon import deployment_client
from shared.clients.storage import MinioObjectStore
from shared.service_app import postgres_pool, service_app

from .handlers import build_router
from .repository import BatchRepository
from .service import Fetcher
from .settings import FetcherSettings

settings = FetcherSettings()


@asynccontextmanager
async def wiring(broker: KafkaBroker) -> AsyncIterator[KafkaRouter]:
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
        yield build_router(broker, fetcher)


app = service_app("fetcher", settings.kafka, wiring)
