"""The loader's composition root: `faststream run services.loader.app:app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from faststream.kafka import KafkaBroker, KafkaRouter

from shared.clients.storage import MinioObjectStore
from shared.service_app import postgres_pool, service_app

from .handlers import build_router
from .repository import RawRepository
from .service import Loader
from .settings import LoaderSettings

settings = LoaderSettings()


@asynccontextmanager
async def wiring(broker: KafkaBroker) -> AsyncIterator[KafkaRouter]:
    async with postgres_pool(settings.postgres) as pool:
        loader = Loader(
            MinioObjectStore(settings.minio.for_service("loader")),
            RawRepository(pool),
            broker,
            settings.minio.bucket,
            settings.minio.raw_prefix,
        )
        yield build_router(broker, loader)


app = service_app("loader", settings.kafka, wiring)
