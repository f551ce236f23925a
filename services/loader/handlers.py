"""The loader's subscriber: MinIO's object-created event in, rows and a batch-loaded event out."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import structlog
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.kafka.annotations import KafkaMessage

from shared.clients.broker import dead_letter, parse_or_dead_letter
from shared.clients.storage import ObjectNotFound, ObjectStore
from shared.logging import bind_message_context
from shared.messages import BatchLoaded, ObjectCreated, topics
from shared.messages.raw_objects import ObjectHeader, TickerError

from .core import MalformedObject, parse_header, ticker_line, ticker_row
from .repository import RawRepository

log = structlog.get_logger()
CHUNK_ROWS = 20_000


@dataclass(frozen=True)
class LoaderDeps:
    broker: KafkaBroker
    store: ObjectStore
    repo: RawRepository
    bucket: str
    raw_prefix: str


async def load_object(deps: LoaderDeps, key: str) -> BatchLoaded:
    started = time.monotonic()
    lines = deps.store.lines(key)
    head = parse_header(await anext(lines, None))
    bind_message_context(run_id=head.run_id, batch_id=head.batch_id)
    if not await deps.repo.run_exists(head.run_id):
        raise MalformedObject(f"unknown run {head.run_id!r}")
    errors: list[tuple[str, TickerError]] = []
    records = _records(lines, head, key, errors)
    rows = await deps.repo.load(head.kind, head.run_id, head.batch_id, key, records, errors)
    log.info(
        "object_loaded",
        kind=head.kind,
        rows=rows,
        tickers_failed=len(errors),
        duration_s=round(time.monotonic() - started, 3),
    )
    return BatchLoaded(
        run_id=head.run_id,
        message_id=f"{head.run_id}/{head.batch_id}/loaded",
        batch_id=head.batch_id,
        object_key=key,
        bars_loaded=rows if head.kind == "daily_bars" else 0,
        tickers_failed=len(errors),
    )


async def _records(
    lines: AsyncIterator[bytes],
    head: ObjectHeader,
    key: str,
    errors: list[tuple[str, TickerError]],
) -> AsyncIterator[list[tuple[Any, ...]]]:
    """Rows in chunks of about CHUNK_ROWS, read line by line: memory stays bounded by a chunk,
    and COPY runs once a chunk rather than one await a row. Failures go into `errors`."""
    chunk: list[tuple[Any, ...]] = []
    async for n, line in _numbered(lines):
        if head.kind == "tickers":
            try:
                chunk.append(ticker_row(line, head, key))
            except ValueError as exc:
                log.warning("ticker_entry_skipped", line=n, error=str(exc)[:200])
        else:
            ticker, rows, error = ticker_line(line, head, key)
            if error is not None:
                errors.append((ticker or f"<line {n}>", error))
            chunk.extend(rows)
        if len(chunk) >= CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


async def _numbered(lines: AsyncIterator[bytes]) -> AsyncIterator[tuple[int, bytes]]:
    n = 1
    async for line in lines:
        n += 1
        yield n, line


def build_router(deps: LoaderDeps) -> KafkaRouter:
    router = KafkaRouter()

    @router.subscriber(
        topics.RAW_OBJECT_EVENTS,
        group_id="loader",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
        title="raw object events",
        description="MinIO's object-created events: load the object",
    )
    async def on_object_created(message: KafkaMessage) -> None:
        event = await parse_or_dead_letter(deps.broker, message, ObjectCreated)
        if event is None:
            return
        if (
            not event.is_created
            or event.bucket != deps.bucket
            or not event.key.startswith(deps.raw_prefix)
        ):
            log.info("object_event_ignored", bucket=event.bucket, key=event.key)
            return
        try:
            loaded = await load_object(deps, event.key)
        except (MalformedObject, ObjectNotFound) as exc:
            await dead_letter(deps.broker, message, f"malformed object {event.key}: {exc}")
            return
        await deps.broker.publish(
            loaded, topic=topics.BATCH_LOADED, key=f"{loaded.run_id}/{loaded.batch_id}".encode()
        )

    return router
