"""The lister's composition root: `faststream run services.lister.app:app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from faststream import FastStream

from shared.clients.broker import make_broker
from shared.clients.db import create_pool
from shared.clients.polygon import deployment_client
from shared.clients.storage import MinioObjectStore
from shared.logging import configure_logging

from .handlers import ListerDeps, build_router
from .repository import RunRepository
from .service import Lister
from .settings import ListerSettings

settings = ListerSettings()
logger = configure_logging("lister")
broker = make_broker(settings.kafka, logger)


@asynccontextmanager
async def lifespan() -> AsyncIterator[None]:
    pool = await create_pool(settings.postgres)
    async with deployment_client(settings.polygon, pool) as api:
        repo = RunRepository(pool)
        opts = settings.options
        lister = Lister(
            api,
            MinioObjectStore(settings.minio.for_service("lister")),
            repo,
            broker,
            settings.minio.raw_prefix,
            opts.include_delisted,
            opts.history_start,
            opts.days_per_batch,
            timedelta(days=opts.corporate_actions_lookback_days),
        )
        broker.include_router(build_router(ListerDeps(broker, repo, lister)))
        yield
    await pool.close()


app = FastStream(broker, logger=logger, lifespan=lifespan)
