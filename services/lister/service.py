"""What the lister does for one run, over its ports: the Polygon API, the object store, the
control tables and the broker."""

from __future__ import annotations

import time

import structlog
from faststream.kafka import KafkaBroker

from shared.clients.polygon import PolygonClient, PolygonError, TickerRef
from shared.clients.storage import ObjectStore
from shared.messages import FetchBatch, RunEvent, RunEventKind, RunStatus, topics
from shared.messages.raw_objects import TICKERS_BATCH_ID, ObjectHeader, encode_object, object_key

from .core import RunSpec, plan_batches, select_tickers
from .repository import RunRepository

log = structlog.get_logger()


class Lister:
    def __init__(
        self, api: PolygonClient, store: ObjectStore, repo: RunRepository, broker: KafkaBroker,
        raw_prefix: str, include_delisted: bool,
    ) -> None:
        self._api, self._store, self._repo, self._broker = api, store, repo, broker
        self._prefix = raw_prefix
        self._include_delisted = include_delisted

    async def _listing(self) -> list[TickerRef]:
        listed = [r async for r in self._api.list_tickers(active=True)]
        if self._include_delisted:
            listed += [r async for r in self._api.list_tickers(active=False)]
        return listed

    async def list_and_publish(self, spec: RunSpec) -> None:
        started, requests_before = time.monotonic(), self._api.requests_made
        try:
            listed = await self._listing()
        except PolygonError as exc:
            await self._repo.fail(spec.run_id, f"listing tickers failed: {exc}")
            await self._event(spec.run_id, RunEventKind.FINISHED, RunStatus.FAILED,
                              detail=f"listing tickers failed: {exc}")
            log.error("run_listing_failed", error=str(exc))
            return
        tickers = select_tickers(listed, spec)
        batches = plan_batches(tickers, spec.batch_size)
        requests = self._api.requests_made - requests_before
        key = object_key(self._prefix, spec.run_id, TICKERS_BATCH_ID)
        listed_here = set(tickers)
        header = ObjectHeader(
            kind="tickers", run_id=spec.run_id, batch_id=TICKERS_BATCH_ID,
            source="reference_tickers", items=sum(r.ticker in listed_here for r in listed),
            api_requests=requests,
        )
        # The listing as the API sent it: the loader, not the lister, writes raw tables.
        rows = (r.raw for r in listed if r.ticker in listed_here)
        await self._store.put(key, encode_object(header, rows), "application/x-ndjson")
        await self._repo.register_batches(
            spec.run_id, batches, len(tickers), requests, (TICKERS_BATCH_ID, key)
        )
        await self._publish(spec, batches, len(batches) + 1)
        await self._event(spec.run_id, RunEventKind.LISTED, RunStatus.RUNNING,
                          total_batches=len(batches) + 1, tickers=len(tickers), plan="per_ticker")
        log.info("run_listed", tickers=len(tickers), batches=len(batches) + 1,
                 api_requests=requests, duration_s=round(time.monotonic() - started, 3))

    async def republish(self, spec: RunSpec) -> None:
        """A redelivered request: publish again whatever is not loaded yet."""
        batches = await self._repo.unloaded_batches(spec.run_id)
        total = await self._repo.total_batches(spec.run_id)
        await self._publish(spec, batches, total)
        log.info("run_republished", batches=len(batches))

    async def _publish(self, spec: RunSpec, batches: list[tuple[str, list[str]]], total: int) -> None:
        for batch_id, tickers in batches:
            command = FetchBatch(
                run_id=spec.run_id, message_id=f"{spec.run_id}/{batch_id}/fetch",
                batch_id=batch_id, seq=int(batch_id[1:]), total_batches=total, tickers=tickers,
                from_=spec.start, to=spec.end, adjusted=spec.adjusted,
            )
            await self._broker.publish(command, topic=topics.TICKER_BATCHES,
                                       key=f"{spec.run_id}/{batch_id}".encode())

    async def _event(self, run_id: str, kind: RunEventKind, status: RunStatus,
                     **fields: object) -> None:
        event = RunEvent(run_id=run_id, message_id=f"{run_id}/{kind.value}", kind=kind,
                         status=status, **fields)  # type: ignore[arg-type]
        await self._broker.publish(event, topic=topics.RUN_EVENTS, key=run_id.encode())
