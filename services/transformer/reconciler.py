"""Finding objects whose MinIO notification was lost: the bucket's objects of a run gone quiet,
compared with the batches loaded. Each such object is announced again on the raw-object-events
topic, as MinIO would have: the loader loads it and no API call is made again."""

from __future__ import annotations

import time
from dataclasses import dataclass

import structlog
from faststream.kafka import KafkaBroker

from shared.clients.storage import ObjectLister
from shared.messages import ObjectCreated, topics
from shared.messages.raw_objects import batch_of, run_prefix

from .repository import ControlRepository

log = structlog.get_logger()
# An object the loader could not use (it dead-letters it) is not announced again and again.
REANNOUNCE_EVERY_S = 300.0


@dataclass(frozen=True)
class Bucket:
    store: ObjectLister
    name: str
    raw_prefix: str


class Reconciler:
    def __init__(self, repo: ControlRepository, broker: KafkaBroker, bucket: Bucket) -> None:
        self._repo, self._broker, self._bucket = repo, broker, bucket
        self._announced: dict[str, float] = {}  # key -> when it was last announced

    async def reconcile(self, quiet_for_s: float) -> int:
        """Announce the unloaded objects of runs with no progress for `quiet_for_s` (well
        before the stall timeout); how many were announced."""
        announced = 0
        for run_id, batches in (await self._repo.unloaded(quiet_for_s)).items():
            keys = await self._bucket.store.keys(run_prefix(self._bucket.raw_prefix, run_id))
            for key in keys:
                if batch_of(key) in batches and self._due(key):
                    await self._announce(key)
                    log.warning("object_reannounced", run_id=run_id, batch_id=batch_of(key))
                    announced += 1
        return announced

    def _due(self, key: str) -> bool:
        last = self._announced.get(key)
        return last is None or time.monotonic() - last >= REANNOUNCE_EVERY_S

    async def _announce(self, key: str) -> None:
        event = ObjectCreated.reannounce(self._bucket.name, key)
        await self._broker.publish(
            event.model_dump_json(by_alias=True).encode(),
            topic=topics.RAW_OBJECT_EVENTS,
            key=f"{self._bucket.name}/{key}".encode(),
        )
        self._announced[key] = time.monotonic()
