"""The transformer's composition root: `faststream run services.transformer.app:app`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from faststream import FastStream

from shared.clients.broker import make_broker
from shared.clients.db import create_pool
from shared.clients.storage import MinioObjectStore
from shared.logging import configure_logging

from .dbt_runner import DbtRunner
from .handlers import TransformerDeps, build_router
from .reconciler import Bucket, Reconciler
from .repository import ControlRepository
from .service import Transformer
from .settings import TransformerSettings

settings = TransformerSettings()
logger = configure_logging("transformer")
broker = make_broker(settings.kafka, logger)
log = structlog.get_logger()


async def _sweep_forever(transformer: Transformer) -> None:
    opts = settings.options
    while True:
        # Sleep first: the broker starts after the lifespan has entered, and sweeps publish.
        await asyncio.sleep(opts.sweep_interval_s)
        try:
            await transformer.sweep(
                opts.stale_after_s, opts.stall_timeout_s, opts.reconcile_after_s
            )
        except Exception:  # a failed sweep is retried at the next interval
            log.exception("sweep_failed")


@asynccontextmanager
async def lifespan() -> AsyncIterator[None]:
    pool = await create_pool(settings.postgres)
    opts = settings.options
    dbt = DbtRunner(opts.dbt_project_dir, settings.postgres, opts.dbt_timeout_s)
    repo = ControlRepository(pool)
    bucket = Bucket(
        MinioObjectStore(settings.minio.for_service("transformer")),
        settings.minio.bucket,
        settings.minio.raw_prefix,
    )
    reconciler = Reconciler(repo, broker, bucket)
    transformer = Transformer(repo, dbt, broker, opts.heartbeat_s, reconciler)
    broker.include_router(build_router(TransformerDeps(broker, transformer)))
    sweeper = asyncio.create_task(_sweep_forever(transformer))
    async with transformer.running():
        yield
    sweeper.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await sweeper
    await dbt.close()
    await pool.close()


app = FastStream(broker, logger=logger, lifespan=lifespan)
