"""What the loader does for one object-created event, over its ports (ports.py): ignore what is
not a raw object of its bucket, read the object line by line, load it in one transaction, and
publish which batch it completes."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import structlog

from shared.logging import bind_message_context
from shared.messages import BatchLoaded, ObjectCreated, topics
from shared.messages.raw_objects import ObjectHeader, TickerError, object_key
from shared.observability import metrics

from .core import MalformedObject, no_data, parse_header, ticker_line, ticker_row
from .corporate_actions import event_rows
from .ports import LoaderRepository, ObjectStore, Publisher

log = structlog.get_logger()
CHUNK_ROWS = 20_000


class Loader:
    def __init__(
        self,
        store: ObjectStore,
        repo: LoaderRepository,
        publisher: Publisher,
        bucket: str,
        raw_prefix: str,
    ) -> None:
        self.store, self.repo, self.publisher = store, repo, publisher
        self.bucket, self.raw_prefix = bucket, raw_prefix

    async def object_created(self, event: ObjectCreated) -> None:
        """A new raw object of the bucket: loaded, and its batch announced as loaded. Other
        events (a deletion, another bucket or prefix) are ignored. MalformedObject or
        ObjectNotFound when the object cannot be loaded, whatever the retries."""
        if (
            not event.is_created
            or event.bucket != self.bucket
            or not event.key.startswith(self.raw_prefix)
        ):
            log.info("object_event_ignored", bucket=event.bucket, key=event.key)
            return
        loaded = await self.load(event.key)
        await self.publisher.publish(
            loaded, topic=topics.BATCH_LOADED, key=f"{loaded.run_id}/{loaded.batch_id}".encode()
        )
        metrics.BATCHES_LOADED.inc()
        metrics.BARS_LOADED.inc(loaded.bars_loaded)

    async def load(self, key: str) -> BatchLoaded:
        """Load the object under `key` in one transaction; the event that says so."""
        return await _load_object(self, key)


async def _load_object(loader: Loader, key: str) -> BatchLoaded:
    started = time.monotonic()
    lines = loader.store.lines(key)
    head = parse_header(await anext(lines, None))
    bind_message_context(run_id=head.run_id, batch_id=head.batch_id)
    # The header names the run and batch it completes; only the key the fetcher would have
    # written for them may say so, or a stray object could complete another run's batch.
    if key != object_key(loader.raw_prefix, head.run_id, head.batch_id):
        raise MalformedObject(f"the header's run and batch do not match the key {key!r}")
    if not await loader.repo.run_exists(head.run_id):
        raise MalformedObject(f"unknown run {head.run_id!r}")
    if head.kind in ("splits", "dividends"):
        return await _load_actions(loader, head, key, lines, started)
    errors: list[tuple[str, TickerError]] = []
    # A ticker the user named that answered no bar is said so (no_data); in a run of the
    # listing an empty range is only a ticker listed after the range or a quiet one.
    named = await loader.repo.named_tickers(head.run_id) if head.source == "aggs_range" else None
    records = _records(lines, head, key, errors, named or frozenset())
    with _rare_collections():
        rows = await loader.repo.load(head.kind, head.run_id, head.batch_id, key, records, errors)
    log.info(
        "object_loaded",
        kind=head.kind,
        rows=rows,
        tickers_failed=len(errors),
        duration_s=round(time.monotonic() - started, 3),
    )
    return _loaded(head, key, rows if head.kind == "daily_bars" else 0, len(errors))


async def _load_actions(
    loader: Loader, head: ObjectHeader, key: str, lines: AsyncIterator[bytes], started: float
) -> BatchLoaded:
    """Splits or dividends: valid events upserted, the others in the ledger with their reason,
    and the kind's watermark moved to the object's end unless the fetch failed."""
    # Off the event loop: a whole-market range is hundreds of thousands of events (235,573
    # dividends in a demo's scheduled daily run; each load took 25-28 s). On the loop the
    # parse starved the consumer's heartbeats: the group moved the partition to the other
    # loader before the commit, and the two loaded the object in turn (66 times).
    rows, rejected = await asyncio.to_thread(event_rows, head.kind, [line async for line in lines])
    await loader.repo.load_actions(head, key, rows, rejected)
    log.info(
        "corporate_actions_loaded",
        kind=head.kind,
        rows=len(rows),
        rejected=len(rejected),
        failed=head.error is not None,
        duration_s=round(time.monotonic() - started, 3),
    )
    return _loaded(head, key, 0, int(head.error is not None))


def _loaded(head: ObjectHeader, key: str, bars: int, tickers_failed: int) -> BatchLoaded:
    """The event that the object's batch is loaded, with a deterministic id."""
    return BatchLoaded(
        run_id=head.run_id,
        message_id=f"{head.run_id}/{head.batch_id}/loaded",
        batch_id=head.batch_id,
        object_key=key,
        bars_loaded=bars,
        tickers_failed=tickers_failed,
    )


async def _records(
    lines: AsyncIterator[bytes],
    head: ObjectHeader,
    key: str,
    errors: list[tuple[str, TickerError]],
    named: frozenset[str] = frozenset(),
) -> AsyncIterator[list[tuple[Any, ...]]]:
    """Rows in chunks of about CHUNK_ROWS, read line by line: memory stays bounded by a chunk,
    and COPY runs once a chunk rather than one await a row. Failures go into `errors`, and so
    does a `named` ticker without a bar (no_data)."""
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
            elif not rows and ticker in named:
                errors.append((ticker, no_data(head)))
            chunk.extend(rows)
        if len(chunk) >= CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@contextmanager
def _rare_collections() -> Iterator[None]:
    """A load makes millions of short-lived dicts and tuples that hold no cycles: at the default
    threshold (a collection every 700 allocations) the garbage collector took about half of
    the loader's time, for nothing. Collections stay on, just rarer, while an object loads."""
    threshold = gc.get_threshold()
    gc.set_threshold(100_000, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


async def _numbered(lines: AsyncIterator[bytes]) -> AsyncIterator[tuple[int, bytes]]:
    n = 1
    async for line in lines:
        n += 1
        yield n, line
