"""The loader's bar writes against real Postgres, as the ingest role: new rows inserted, a replay
that changes no row, only changed rows rewritten, a bar named twice, capped watermarks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import asyncpg
import pytest

from services.loader.repository import RawRepository
from shared.messages.raw_objects import GROUPED_DAY_PREFIX, TickerError

pytestmark = pytest.mark.integration

D0 = date(2024, 7, 1)
FAILED = TickerError(kind="gave_up", reason="5xx")


@pytest.fixture
async def pool(ingest_pool: asyncpg.Pool) -> asyncpg.Pool:
    return ingest_pool


def row(ticker: str, day: int, close: float = 10.5, key: str = "k1") -> tuple[Any, ...]:
    d = D0 + timedelta(days=day)
    values = (10.0, 11.0, 9.0, close, 1000.0, None, None, False)
    return (ticker, d, False, *values, day, "x", "r1", key)


async def chunks_of(*chunks: list[tuple[Any, ...]]) -> AsyncIterator[list[tuple[Any, ...]]]:
    for chunk in chunks:
        yield chunk


async def load(
    pool: asyncpg.Pool,
    *chunks: list[tuple[Any, ...]],
    errors: list[tuple[str, TickerError]] | None = None,
    key: str = "k1",
) -> int:
    return await RawRepository(pool).load(
        "daily_bars", "r1", "b1", key, chunks_of(*chunks), errors or []
    )


async def stored(pool: asyncpg.Pool) -> list[tuple[Any, ...]]:
    return [
        tuple(r)
        for r in await pool.fetch(
            "select ticker, trading_date, close, object_key, loaded_at from raw.stock_bars_daily"
            " order by 1, 2"
        )
    ]


async def watermarks(pool: asyncpg.Pool) -> dict[str, date]:
    rows = await pool.fetch("select ticker, last_date from control.ticker_watermarks")
    return {r["ticker"]: r["last_date"] for r in rows}


class TestNewRows:
    async def test_new_rows_are_all_stored_and_watermarked(self, pool: asyncpg.Pool) -> None:
        """Two chunks, two tickers: every row, the count, and each ticker's last day."""
        count = await load(pool, [row("A", 0), row("A", 1)], [row("B", 3), row("A", 2)])

        assert (4, [("A", 0), ("A", 1), ("A", 2), ("B", 3)], {"A": D0 + timedelta(2)}) == (
            count,
            [(r[0], (r[1] - D0).days) for r in await stored(pool)],
            {"A": (await watermarks(pool))["A"]},
        )

    async def test_an_empty_object_writes_nothing(self, pool: asyncpg.Pool) -> None:
        """No rows: no bars, no watermark, and the batch still loads."""
        assert (0, [], {}) == (await load(pool), await stored(pool), await watermarks(pool))


class TestExistingRows:
    async def test_a_replay_changes_no_row(self, pool: asyncpg.Pool) -> None:
        """The same rows again: every row as it was, loaded_at included."""
        rows = [row("A", d) for d in range(5)]
        await load(pool, rows)
        before = await stored(pool)

        count = await load(pool, rows)

        assert (5, before) == (count, await stored(pool))

    async def test_an_overlap_rewrites_only_the_changed_rows(self, pool: asyncpg.Pool) -> None:
        """Days 0-2 stored; days 1-3 come with day 2 corrected: day 1 untouched, day 2
        rewritten from the new object, day 3 added."""
        await load(pool, [row("A", d) for d in range(3)])
        before = await stored(pool)

        await load(pool, [row("A", 1, key="k2"), row("A", 2, 12.0, "k2"), row("A", 3, key="k2")])

        after = await stored(pool)
        assert (before[:2], (12.0, "k2"), ("A", D0 + timedelta(3))) == (
            after[:2],
            after[2][2:4],
            after[3][:2],
        )

    async def test_a_bar_named_twice_is_stored_once(self, pool: asyncpg.Pool) -> None:
        """An object that names one bar twice (a ticker on two lines) loads without error."""
        count = await load(pool, [row("A", 0), row("A", 1)], [row("A", 1)])

        assert (3, 2) == (count, len(await stored(pool)))

    async def test_a_bar_named_twice_in_one_chunk_is_stored_once(self, pool: asyncpg.Pool) -> None:
        """The straight COPY of a chunk naming a bar twice fails; the chunk is upserted."""
        count = await load(pool, [row("A", 0), row("A", 1), row("A", 1, 12.0)])

        assert (3, 2) == (count, len(await stored(pool)))

    async def test_new_and_stored_tickers_in_one_object_are_all_stored(
        self, pool: asyncpg.Pool
    ) -> None:
        """A chunk of a new ticker and a chunk overlapping stored bars: every row there,
        every ticker watermarked at its last day."""
        await load(pool, [row("A", 0)])

        await load(pool, [row("B", 0), row("B", 1)], [row("A", 0, 11.0), row("A", 2)])

        assert ([("A", 0, 11.0), ("A", 2, 10.5), ("B", 0, 10.5), ("B", 1, 10.5)], [2, 1]) == (
            [(r[0], (r[1] - D0).days, r[2]) for r in await stored(pool)],
            [(d - D0).days for _, d in sorted((await watermarks(pool)).items())],
        )

    async def test_a_bar_named_twice_over_stored_rows_is_stored_once(
        self, pool: asyncpg.Pool
    ) -> None:
        """The same, when the rows exist already (the upsert path)."""
        await load(pool, [row("A", 0)])

        await load(pool, [row("A", 0, 11.0), row("A", 1)], [row("A", 1)])

        assert [11.0, 10.5] == [r[2] for r in await stored(pool)]


class TestWatermarks:
    async def test_a_failed_grouped_day_caps_the_watermarks(self, pool: asyncpg.Pool) -> None:
        """Day 2 of a grouped batch failed: watermarks stop before it, so it is fetched again."""
        errors = [(f"{GROUPED_DAY_PREFIX}{(D0 + timedelta(2)).isoformat()}", FAILED)]

        await load(pool, [row("A", 0), row("A", 1), row("A", 3)], errors=errors)

        assert {"A": D0 + timedelta(1)} == await watermarks(pool)

    async def test_a_watermark_never_moves_back(self, pool: asyncpg.Pool) -> None:
        """An older object loaded after a newer one leaves the watermark where it was."""
        await load(pool, [row("A", 5)])

        await load(pool, [row("A", 1)])

        assert {"A": D0 + timedelta(5)} == await watermarks(pool)
