"""Finding objects whose MinIO notification was lost: the bucket's objects of a run gone quiet,
compared with the batches loaded. The service announces each one again on the raw-object-events
topic, as MinIO would have: the loader loads it and no API call is made again."""

from __future__ import annotations

import time
from dataclasses import dataclass

from shared.messages import ObjectCreated
from shared.messages.raw_objects import batch_of, run_prefix

from .ports import ObjectLister, TransformerRepository

# An object the loader could not use (it dead-letters it) is not announced again and again.
REANNOUNCE_EVERY_S = 300.0


@dataclass(frozen=True)
class Bucket:
    store: ObjectLister
    name: str
    raw_prefix: str


class Reconciler:
    def __init__(self, repo: TransformerRepository, bucket: Bucket) -> None:
        self._repo, self._bucket = repo, bucket
        self._announced: dict[str, float] = {}  # key -> when it was last announced

    async def lost(self, quiet_for_s: float) -> list[tuple[str, ObjectCreated]]:
        """(run_id, MinIO's event again) for each unloaded object of the runs with no progress
        for `quiet_for_s` (well before the stall timeout), unless announced within the
        interval."""
        lost = []
        for run_id, batches in (await self._repo.unloaded(quiet_for_s)).items():
            keys = await self._bucket.store.keys(run_prefix(self._bucket.raw_prefix, run_id))
            lost += [
                (run_id, ObjectCreated.reannounce(self._bucket.name, key))
                for key in keys
                if batch_of(key) in batches and self._due(key)
            ]
        return lost

    def announced(self, event: ObjectCreated) -> None:
        """The event is published: not again within REANNOUNCE_EVERY_S."""
        self._announced[event.key] = time.monotonic()

    def _due(self, key: str) -> bool:
        last = self._announced.get(key)
        return last is None or time.monotonic() - last >= REANNOUNCE_EVERY_S
