"""The loader's composition root: `faststream run services.loader.app:app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from faststream.kafka import KafkaBroker

from shared.clients.routing import Handling
from shared.clients.storage import MinioObjectStore
from shared.messages import ObjectCreated
from shared.service_app import postgres_pool, service_app

from .handlers import declare, handling
from .repository import RawRepository
from .service import Loader
from .settings import LoaderSettings

settings = LoaderSettings()


@asynccontextmanager
async def wiring(broker: KafkaBroker) -> AsyncIterator[Handling[ObjectCreated]]:
    async with postgres_pool(settings.postgres) as pool:
        loader = Loader(
            MinioObjectStore(settings.minio.for_service("loader")),
            RawRepository(pool),
            broker,
            settings.minio.bucket,
            settings.minio.raw_prefix,
        )
        yield handling(loader)


DESCRIPTION = (
    "Loads each raw object MinIO announces into Postgres's raw tables, then says the batch loaded"
)
app = service_app("loader", DESCRIPTION, settings.kafka, declare(), wiring)
