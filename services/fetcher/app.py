"""The fetcher's composition root: `faststream run services.fetcher.app:app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from faststream import FastStream

from shared.clients.broker import make_broker
from shared.clients.db import create_pool
from shared.clients.polygon import deployment_client
from shared.clients.storage import MinioObjectStore
from shared.logging import configure_logging

from .handlers import FetcherDeps, build_router
from .repository import BatchRepository
from .settings import FetcherSettings

settings = FetcherSettings()
logger = configure_logging("fetcher")
broker = make_broker(settings.kafka, logger)


@asynccontextmanager
async def lifespan() -> AsyncIterator[None]:
    pool = await create_pool(settings.postgres)
    async with deployment_client(settings.polygon, pool) as api:
        broker.include_router(
            build_router(
                FetcherDeps(
                    broker,
                    api,
                    MinioObjectStore(settings.minio.for_service("fetcher")),
                    BatchRepository(pool),
                    settings.minio.raw_prefix,
                    settings.options.concurrency,
                )
            )
        )
        yield
    await pool.close()


app = FastStream(broker, logger=logger, lifespan=lifespan)
