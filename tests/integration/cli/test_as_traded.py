"""Which tickers need their as-traded history re-fetched, read from a real raw table."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import asyncpg
import pytest

from services.cli.as_traded import adjusted_only_spans

pytestmark = pytest.mark.integration

_BAR = """
insert into raw.stock_bars_daily (ticker, trading_date, adjusted, open, high, low, close, volume,
                                  bar_ts_ms, source, run_id, object_key)
values ($1, $2, $3, 1, 1, 1, 1, 1, 0, 'aggs_range', 'r', 'k')
"""


@pytest.fixture
async def conn(ingest_pool: asyncpg.Pool) -> AsyncIterator[asyncpg.pool.PoolConnectionProxy]:
    async with ingest_pool.acquire() as connection:
        yield connection


class TestAdjustedOnlySpans:
    async def test_tickers_whose_adjusted_bars_reach_outside_their_as_traded_ones(
        self, conn: asyncpg.pool.PoolConnectionProxy
    ) -> None:
        """OLD has adjusted bars only; PART has as-traded bars for a part of them; DONE has
        both over the same days; NEW has as-traded bars only."""
        jan, feb, mar = date(2024, 1, 2), date(2024, 2, 1), date(2024, 3, 1)
        rows = [
            ("OLD", jan, True), ("OLD", mar, True),
            ("PART", jan, True), ("PART", mar, True), ("PART", feb, False), ("PART", mar, False),
            ("DONE", jan, True), ("DONE", jan, False),
            ("NEW", feb, False),
        ]  # fmt: skip
        await conn.executemany(_BAR, rows)

        spans = await adjusted_only_spans(conn)

        assert {"OLD": (jan, mar), "PART": (jan, mar)} == spans
