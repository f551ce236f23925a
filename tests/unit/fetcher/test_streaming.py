"""The fetcher streams: each ticker's line goes to the store as soon as it is complete, the
fetch waits while the writer is behind, and the header, written last, has the final counts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Callable
from datetime import date, timedelta
from typing import Any

import orjson
import pytest

from services.fetcher.core import GroupedLines, bar_as_sent
from services.fetcher.service import Fetcher
from shared.clients.polygon import DailyBar
from shared.clients.storage import StreamingObjectStore
from shared.messages import FetchBatch
from shared.messages.raw_objects import TickerBars, encode_bars_line, encode_line
from tests.fakes.fetcher import FakeBatchRepository
from tests.fakes.polygon import FakePolygonClient
from tests.fakes.storage import FakeObjectStore

pytestmark = pytest.mark.unit

KEY = "raw/polygon/r1/b00001.jsonl"
MIDNIGHT_2024_07_01 = 1719806400000


def bars(ticker: str, days: int, first: date = date(2024, 7, 1)) -> list[DailyBar]:
    return [
        DailyBar(
            ticker=ticker,
            trading_date=first + timedelta(days=i),
            open=10.0,
            high=11.0,
            low=9.0,
            close=10.5,
            volume=1000.0,
            t_ms=MIDNIGHT_2024_07_01 + i * 86_400_000,
            adjusted=False,
        )
        for i in range(days)
    ]


def batch(tickers: list[str], days: list[date] | None = None) -> FetchBatch:
    return FetchBatch.model_validate(
        {
            "run_id": "r1",
            "message_id": "r1/b00001/fetch",
            "batch_id": "b00001",
            "seq": 1,
            "total_batches": 2,
            "tickers": tickers,
            "days": days,
            "from": "2024-07-01",
            "to": "2024-07-05",
        }
    )


class StreamingStore(FakeObjectStore):
    """A store that takes objects chunk by chunk and calls `on_chunk` after each one."""

    def __init__(self, on_chunk: Callable[[bytes], Any] | None = None) -> None:
        super().__init__()
        self.chunks: list[bytes] = []
        self._on_chunk = on_chunk

    async def put_stream(
        self, key: str, body: AsyncIterable[bytes], head: Callable[[], bytes], content_type: str
    ) -> None:
        async for chunk in body:
            self.chunks.append(chunk)
            if self._on_chunk is not None:
                await self._on_chunk(chunk)
        await self.put(key, head() + b"".join(self.chunks), content_type)


def fetcher_of(api: FakePolygonClient, store: FakeObjectStore, concurrency: int) -> Fetcher:
    return Fetcher(api, store, FakeBatchRepository(), "raw/", concurrency)


def object_lines(store: FakeObjectStore) -> list[dict[str, Any]]:
    return [orjson.loads(x) for x in store.objects[KEY].splitlines()]


class SlowTicker(FakePolygonClient):
    """SLOW's bars come only once `release` is set."""

    def __init__(self) -> None:
        super().__init__(bars={"SLOW": bars("SLOW", 2), "FAST": bars("FAST", 3)})
        self.release = asyncio.Event()

    async def daily_bars(self, ticker: str, *args: Any, **kwargs: Any) -> list[DailyBar]:
        if ticker == "SLOW":
            await self.release.wait()
        return await super().daily_bars(ticker, *args, **kwargs)


class TestLinesAsTheyComplete:
    def test_the_fake_store_streams(self) -> None:
        """The store below takes the streaming path, as the MinIO adapter does."""
        assert isinstance(StreamingStore(), StreamingObjectStore)

    async def test_a_line_is_written_while_another_ticker_is_still_fetched(self) -> None:
        """SLOW answers only once FAST's line reached the store: a fetcher that held the
        batch would wait for ever. The lines are in the order they completed."""
        api = SlowTicker()

        async def release(chunk: bytes) -> None:
            if b'"FAST"' in chunk:
                api.release.set()

        store = StreamingStore(release)
        await asyncio.wait_for(fetcher_of(api, store, 2).fetch(batch(["SLOW", "FAST"])), 5)

        [head, *items] = object_lines(store)
        assert (2, 2, [("FAST", 3), ("SLOW", 2)]) == (
            head["items"],
            head["api_requests"],
            [(i["ticker"], len(i["bars"])) for i in items],
        )

    async def test_fetching_waits_while_the_writer_is_behind(self) -> None:
        """Concurrency 2 over 50 tickers, a writer that stalls after the first line: no more
        than the line written, two queued and one per worker are fetched meanwhile."""
        api = FakePolygonClient(bars={f"T{i:02d}": bars(f"T{i:02d}", 2) for i in range(50)})
        seen: list[int] = []

        async def stall(chunk: bytes) -> None:
            if not seen:
                for _ in range(50):
                    await asyncio.sleep(0)
                seen.append(api.requests_made)

        store = StreamingStore(stall)
        await fetcher_of(api, store, 2).fetch(batch([f"T{i:02d}" for i in range(50)]))

        assert ([5], 51) == (seen, len(object_lines(store)))

    async def test_the_header_written_last_has_the_final_counts(self) -> None:
        """Three tickers streamed: the header comes first in the object with items 3 and
        the requests made, and the batch is marked fetched."""
        api = FakePolygonClient(bars={t: bars(t, 2) for t in ("A", "B", "C")})
        store = StreamingStore()
        fetcher = fetcher_of(api, store, 8)

        await fetcher.fetch(batch(["A", "B", "C"]))

        [head, *items] = object_lines(store)
        assert ("daily_bars", 3, 3, ["A", "B", "C"]) == (
            head["kind"],
            head["items"],
            head["api_requests"],
            sorted(i["ticker"] for i in items),
        )

    async def test_an_unexpected_error_stops_the_batch_and_writes_nothing(self) -> None:
        """A bug (not an API error) while fetching one ticker is raised, so Kafka redelivers,
        and no object is stored."""
        api = FakePolygonClient(
            bars={t: bars(t, 2) for t in ("A", "B", "C")},
            errors={"B": RuntimeError("bug")},  # type: ignore[dict-item]
        )
        store = StreamingStore()

        with pytest.raises(RuntimeError, match="bug"):
            await fetcher_of(api, store, 1).fetch(batch(["A", "B", "C"]))

        assert {} == store.objects


class TestGroupedLines:
    def test_days_are_regrouped_per_ticker_and_the_count_outlives_the_lines(self) -> None:
        """Two days added one at a time: one line per ticker with both bars, and `items`
        still 2 once the lines (which free the bars) are read."""
        days = [date(2024, 7, 1), date(2024, 7, 2)]
        grouped = GroupedLines(batch([], days))
        market = {"A": bars("A", 2), "B": bars("B", 2)}
        for n, day in enumerate(days):
            grouped.add(day, [market["A"][n], market["B"][n]])

        lines = [orjson.loads(x) for x in grouped.lines()]

        assert ([("A", 2), ("B", 2)], 2, 4) == (
            [(x["ticker"], len(x["bars"])) for x in lines],
            grouped.items,
            grouped.bars,
        )

    def test_a_bars_line_is_the_models_line(self) -> None:
        """The line written from encoded bars is byte for byte the `TickerBars` line."""
        sent = [bar_as_sent(b) for b in bars("BRK.A", 3)]

        assert encode_line(TickerBars(ticker="BRK.A", bars=sent)) == encode_bars_line(
            "BRK.A", orjson.dumps(sent)
        )
