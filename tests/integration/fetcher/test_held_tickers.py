"""A batch too big for one Kafka message goes out without its tickers; the fetcher reads them back
from the command the lister registered, through real control tables as the ingest role."""

from __future__ import annotations

import asyncpg
import pytest

from services.fetcher.repository import BatchRepository
from services.lister.core import INLINE_BYTES_MAX, as_published
from services.lister.repository import RunRepository
from shared.fetch_plan import FetchPlan
from shared.messages import FetchBatch

pytestmark = pytest.mark.integration

TICKERS = [f"T{i:06d}" for i in range(40_000)]


def grouped_batch() -> FetchBatch:
    return FetchBatch.model_validate(
        {
            "run_id": "r1",
            "message_id": "r1/g00000/fetch",
            "batch_id": "g00000",
            "seq": 0,
            "total_batches": 2,
            "tickers": TICKERS,
            "starts": {t: "2024-07-03" for t in TICKERS[::2]},
            "days": ["2024-07-01", "2024-07-02", "2024-07-03"],
            "from": "2024-07-01",
            "to": "2024-07-03",
        }
    )


class TestHeldTickers:
    async def test_the_fetcher_gets_back_every_ticker_and_start_the_message_left_out(
        self, ingest_pool: asyncpg.Pool
    ) -> None:
        """Registered whole, published held (small), read back whole."""
        command = grouped_batch()
        plan = FetchPlan("grouped_daily", [], command.days or [], TICKERS, "test")
        await RunRepository(ingest_pool).register_batches(
            "r1",
            [command],
            len(TICKERS),
            1,
            {"200": 1},
            ("tickers", "raw/polygon/r1/tickers.jsonl"),
            plan,
        )
        sent = as_published(command)

        got = await BatchRepository(ingest_pool).with_tickers(sent)

        assert len(sent.model_dump_json(by_alias=True)) < INLINE_BYTES_MAX
        assert (True, []) == (sent.tickers_held, sent.tickers)
        assert command.model_dump(exclude={"produced_at"}) == got.model_dump(
            exclude={"produced_at"}
        )

    async def test_a_batch_that_carries_its_tickers_is_not_looked_up(
        self, ingest_pool: asyncpg.Pool
    ) -> None:
        """Nothing registered, nothing read: the message's own tickers are used."""
        small = grouped_batch().model_copy(update={"tickers": ["A"], "starts": None})

        assert small == await BatchRepository(ingest_pool).with_tickers(small)
