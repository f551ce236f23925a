"""The fetcher's subscriber: parse the ticker batch (or dead-letter it) and hand it over."""

from __future__ import annotations

from faststream import AckPolicy
from faststream.kafka import KafkaRouter
from faststream.kafka.annotations import KafkaMessage

from shared.clients.broker import parse_or_dead_letter
from shared.messages import FetchBatch, topics

from .service import FetcherDeps, fetch_batch

__all__ = ["FetcherDeps", "build_router"]


def build_router(deps: FetcherDeps) -> KafkaRouter:
    router = KafkaRouter()

    @router.subscriber(
        topics.TICKER_BATCHES,
        group_id="fetcher",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
        max_poll_interval_ms=30 * 60 * 1000,
        title="ticker batches",
        description="Fetch a batch's daily bars into one raw object",
    )
    async def on_fetch_batch(message: KafkaMessage) -> None:
        batch = await parse_or_dead_letter(deps.broker, message, FetchBatch)
        if batch is None:
            return
        await fetch_batch(deps, batch)

    return router
