"""The loader's composition root: `faststream run services.loader.app:app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from faststream import FastStream

from shared.clients.broker import make_broker
from shared.clients.db import create_pool
from shared.clients.storage import MinioObjectStore
from shared.logging import configure_logging

from .handlers import LoaderDeps, build_router
from .repository import RawRepository
from .settings import LoaderSettings

settings = LoaderSettings()
logger = configure_logging("loader")
broker = make_broker(settings.kafka, logger)


@asynccontextmanager
async def lifespan() -> AsyncIterator[None]:
    pool = await create_pool(settings.postgres)
    broker.include_router(
        build_router(
            LoaderDeps(
                broker,
                MinioObjectStore(settings.minio.for_service("loader")),
                RawRepository(pool),
                settings.minio.bucket,
                settings.minio.raw_prefix,
            )
        )
    )
    yield
    await pool.close()


app = FastStream(broker, logger=logger, lifespan=lifespan)
