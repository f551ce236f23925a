"""The transformer's composition root: `faststream run services.transformer.app:app`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from faststream.kafka import KafkaBroker

from shared.clients.routing import Handling
from shared.clients.storage import MinioObjectStore
from shared.messages import BatchLoaded
from shared.service_app import postgres_pool, service_app

from .dbt_runner import DbtRunner
from .handlers import declare, handling
from .reconciler import Bucket, Reconciler
from .repository import ControlRepository
from .service import Transformer
from .settings import TransformerSettings

settings = TransformerSettings()
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
async def wiring(broker: KafkaBroker) -> AsyncIterator[Handling[BatchLoaded]]:
    opts = settings.options
    dbt = DbtRunner(opts.dbt_project_dir, settings.postgres, opts.dbt_timeout_s)
    async with postgres_pool(settings.postgres) as pool:
        repo = ControlRepository(pool)
        bucket = Bucket(
            MinioObjectStore(settings.minio.for_service("transformer")),
            settings.minio.bucket,
            settings.minio.raw_prefix,
        )
        transformer = Transformer(repo, dbt, broker, opts.heartbeat_s, Reconciler(repo, bucket))
        sweeper = asyncio.create_task(_sweep_forever(transformer))
        warming = asyncio.create_task(dbt.warm())
        try:
            async with transformer.running():
                yield handling(transformer)
        finally:
            for task in (sweeper, warming):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await dbt.close()


# What the service does, for its AsyncAPI document (docs/asyncapi/).
DESCRIPTION = (
    "Counts the loaded batches of each run, builds the warehouse with dbt when the run is "
    "complete, and reports the run's progress and alerts"
)
app = service_app("transformer", DESCRIPTION, settings.kafka, declare(), wiring)
