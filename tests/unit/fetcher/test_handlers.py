"""The fetcher's subscriber on the in-memory broker, over fakes: a ticker batch (ranges or
grouped days) in, one raw object in the store and the batch marked fetched."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson
import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker

from services.fetcher.handlers import build_router
from services.fetcher.service import Fetcher as FetcherService
from shared.clients.polygon import DailyBar, PolygonGaveUp, PolygonNotEntitled
from shared.messages import FetchBatch, topics
from tests.fakes.fetcher import FakeBatchRepository
from tests.fakes.kafka import INSTANT_RETRIES, TopicRecorder
from tests.fakes.polygon import FakePolygonClient
from tests.fakes.storage import FakeObjectStore

pytestmark = pytest.mark.unit

KEY = "raw/polygon/r1/b00003.jsonl"
DAY_MS = 86_400_000
T_2005_04_01 = 1112331600000  # midnight in New York


def bars(ticker: str, days: int) -> list[DailyBar]:
    return [
        DailyBar(
            ticker=ticker,
            trading_date=date(2005, 4, 1 + i),
            open=10.0 + i,
            high=11.0 + i,
            low=9.0 + i,
            close=10.5 + i,
            volume=1000.0 * (i + 1),
            t_ms=T_2005_04_01 + i * DAY_MS,
            adjusted=True,
            vwap=None if i else 10.2,
            transactions=None if i else 42,
        )
        for i in range(days)
    ]


BATCH = FetchBatch.model_validate(
    {
        "run_id": "r1",
        "message_id": "r1/b00003/fetch",
        "batch_id": "b00003",
        "seq": 3,
        "total_batches": 9,
        "tickers": ["AAPL", "BRK.A", "KIMpL"],
        "from": "2005-04-01",
        "to": "2005-04-04",
    }
)


@dataclass
class Fetcher:
    broker: KafkaBroker
    api: FakePolygonClient
    store: FakeObjectStore
    batches: FakeBatchRepository
    dlq: TopicRecorder

    def lines(self) -> list[dict[str, Any]]:
        return [orjson.loads(x) for x in self.store.objects[KEY].splitlines()]


def fetcher_on(
    broker: KafkaBroker,
    store: FakeObjectStore,
    concurrency: int = 8,
    batches: FakeBatchRepository | None = None,
) -> Fetcher:
    api = FakePolygonClient(
        bars={"AAPL": bars("AAPL", 4), "BRK.A": bars("BRK.A", 2)},
        errors={"KIMpL": PolygonNotEntitled("plan does not cover it", status=403)},
    )
    batches = batches or FakeBatchRepository()
    service = FetcherService(api, store, batches, "raw/", concurrency)
    broker.include_router(build_router(broker, service, INSTANT_RETRIES))
    return Fetcher(
        broker, api, store, batches, TopicRecorder(broker, topics.dlq(topics.TICKER_BATCHES))
    )


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    broker = KafkaBroker()
    fetcher = fetcher_on(broker, FakeObjectStore())
    async with TestKafkaBroker(broker):
        yield fetcher


async def deliver(fetcher: Fetcher, body: bytes | FetchBatch = BATCH) -> None:
    await fetcher.broker.publish(body, topic=topics.TICKER_BATCHES, key=b"r1/b00003")


class TestFetchBatch:
    async def test_one_object_holds_a_header_and_a_line_per_ticker(self, fetcher: Fetcher) -> None:
        """The object at the batch's key: header, then each ticker in the batch's order."""
        await deliver(fetcher)

        [head, *items] = fetcher.lines()
        assert (("daily_bars", "b00003", 3), ["AAPL", "BRK.A", "KIMpL"]) == (
            (head["kind"], head["batch_id"], head["items"]),
            [i["ticker"] for i in items],
        )

    async def test_bars_are_written_as_the_api_sent_them(self, fetcher: Fetcher) -> None:
        """A ticker's bars keep the API's keys; missing vw and n stay missing."""
        await deliver(fetcher)

        aapl = fetcher.lines()[1]["bars"]
        assert ({"t", "o", "h", "l", "c", "v", "vw", "n"}, {"t", "o", "h", "l", "c", "v"}, 4) == (
            set(aapl[0]),
            set(aapl[1]),
            len(aapl),
        )

    async def test_a_failed_ticker_is_recorded_and_costs_only_itself(
        self, fetcher: Fetcher
    ) -> None:
        """A permanent error becomes the ticker's line; the other tickers are fetched."""
        await deliver(fetcher)

        [aapl, brka, kimpl] = fetcher.lines()[1:]
        assert (4, 2, [], "not_entitled") == (
            len(aapl["bars"]),
            len(brka["bars"]),
            kimpl["bars"],
            kimpl["error"]["kind"],
        )

    async def test_each_ticker_is_asked_for_the_batchs_range(self, fetcher: Fetcher) -> None:
        """Every ticker is requested once, with the batch's dates, as traded (adjusted=false)."""
        await deliver(fetcher)

        assert sorted(
            (t, date(2005, 4, 1), date(2005, 4, 4), False) for t in BATCH.tickers
        ) == sorted(fetcher.api.bar_calls)

    async def test_the_batch_is_marked_fetched_with_its_object_key(self, fetcher: Fetcher) -> None:
        """control.batches holds the batch's object key (and the requests made), once."""
        await deliver(fetcher)

        assert ({("r1", "b00003"): (KEY, 3)}, 1) == (fetcher.batches.fetched, fetcher.batches.marks)

    async def test_the_api_key_is_nowhere_in_the_object(self, fetcher: Fetcher) -> None:
        """No header or line carries a secret: only ids, dates and bars."""
        await deliver(fetcher)

        assert {
            "kind",
            "format_version",
            "run_id",
            "batch_id",
            "source",
            "adjusted",
            "from",
            "to",
            "items",
            "api_requests",
            "tickers",
            "error",
        } == set(fetcher.lines()[0])


class TestRedelivery:
    async def test_a_batch_already_fetched_is_not_fetched_again(self, fetcher: Fetcher) -> None:
        """A replay of a stored batch costs no API request and writes nothing."""
        await deliver(fetcher)
        requests, objects = fetcher.api.requests_made, dict(fetcher.store.objects)

        await deliver(fetcher)

        assert (requests, objects, [KEY], 1) == (
            fetcher.api.requests_made,
            fetcher.store.objects,
            fetcher.store.puts,
            fetcher.batches.marks,
        )

    async def test_a_batch_fetched_again_writes_the_same_object(self) -> None:
        """A batch control still wants (its object was never recorded) is fetched again: the
        same key, the same bytes, the same record."""
        broker = KafkaBroker()
        fetcher = fetcher_on(broker, FakeObjectStore(), batches=FakeBatchRepository(refetch=True))

        async with TestKafkaBroker(broker):
            await deliver(fetcher)
            objects, fetched = dict(fetcher.store.objects), dict(fetcher.batches.fetched)
            await deliver(fetcher)

        assert (objects, fetched, [KEY, KEY]) == (
            fetcher.store.objects,
            fetcher.batches.fetched,
            fetcher.store.puts,
        )

    async def test_a_batch_control_does_not_want_costs_nothing(self) -> None:
        """Not listed, or of a run that ended: skipped without a request or an object."""
        broker = KafkaBroker()
        fetcher = fetcher_on(broker, FakeObjectStore(), batches=FakeBatchRepository(wanted=False))

        async with TestKafkaBroker(broker):
            await deliver(fetcher)

        assert (0, {}, {}, []) == (
            fetcher.api.requests_made,
            fetcher.store.objects,
            fetcher.batches.fetched,
            fetcher.dlq.messages,
        )

    async def test_a_store_that_stays_down_ends_in_the_dlq_never_marked(self) -> None:
        """If the object cannot be written, each attempt fails before marking anything; after
        the policy's attempts the batch goes to the DLQ with why, and the partition moves on."""
        broker = KafkaBroker()
        fetcher = fetcher_on(broker, FakeObjectStore(fail_puts_with=ConnectionError("minio")))

        async with TestKafkaBroker(broker):
            await deliver(fetcher)

        [reason] = [m.headers["x-dead-letter-reason"] for m in fetcher.dlq.messages]
        assert ({}, "gave up after 3 attempts: ConnectionError: minio") == (
            fetcher.batches.fetched,
            reason,
        )


class TestRequestCount:
    async def test_the_requests_recorded_are_the_requests_made(self, fetcher: Fetcher) -> None:
        """Three tickers, one request each: the header and control.batches say 3, whatever
        the concurrency (each ticker's delta of the shared counter includes the others')."""
        await deliver(fetcher)

        assert (3, 3, 3) == (
            fetcher.api.requests_made,
            fetcher.lines()[0]["api_requests"],
            fetcher.batches.fetched[("r1", "b00003")][1],
        )

    async def test_one_at_a_time_the_count_is_right(self) -> None:
        """With concurrency 1 the per-ticker deltas add up to the requests made."""
        broker = KafkaBroker()
        fetcher = fetcher_on(broker, FakeObjectStore(), concurrency=1)

        async with TestKafkaBroker(broker):
            await deliver(fetcher)

        assert (3, 3) == (fetcher.api.requests_made, fetcher.lines()[0]["api_requests"])


class TestRequestsByStatus:
    async def test_the_batch_records_its_requests_by_status(self, fetcher: Fetcher) -> None:
        """Two tickers answered 200, one 403: control.batches gets those counts, adding up to
        its request count."""
        await deliver(fetcher)

        statuses = fetcher.batches.statuses[("r1", "b00003")]
        assert ({"200": 2, "403": 1}, 3) == (statuses, sum(statuses.values()))

    async def test_only_the_batchs_own_requests(self, fetcher: Fetcher) -> None:
        """The client's earlier requests (another batch's) are not counted again."""
        await fetcher.api.daily_bars("AAPL", date(2005, 4, 1), date(2005, 4, 4))

        await deliver(fetcher)

        assert ({"200": 2, "403": 1}, {"200": 3, "403": 1}) == (
            fetcher.batches.statuses[("r1", "b00003")],
            fetcher.api.requests_by_status,
        )


JUL = [date(2024, 7, d) for d in (1, 2, 3)]
GROUPED_KEY = "raw/polygon/r1/g00000.jsonl"


def day_bars(ticker: str, days: list[date]) -> list[DailyBar]:
    return [
        DailyBar(
            ticker=ticker,
            trading_date=d,
            open=10.0,
            high=11.0,
            low=9.0,
            close=10.5,
            volume=1000.0,
            t_ms=T_2005_04_01,
            adjusted=True,
        )
        for d in days
    ]


def grouped_batch(tickers: list[str], starts: dict[str, str] | None = None) -> FetchBatch:
    return FetchBatch.model_validate(
        {
            "run_id": "r1",
            "message_id": "r1/g00000/fetch",
            "batch_id": "g00000",
            "seq": 1,
            "total_batches": 3,
            "tickers": tickers,
            "days": [d.isoformat() for d in JUL],
            "starts": starts,
            "from": "2024-07-01",
            "to": "2024-07-03",
        }
    )


@pytest.fixture
async def grouped() -> AsyncIterator[Fetcher]:
    broker = KafkaBroker()
    fetcher = fetcher_on(broker, FakeObjectStore())
    fetcher.api.bars = {t: day_bars(t, JUL) for t in ("AAPL", "BRK.A", "MSFT")}
    async with TestKafkaBroker(broker):
        yield fetcher


def grouped_lines(fetcher: Fetcher) -> list[dict[str, Any]]:
    return [orjson.loads(x) for x in fetcher.store.objects[GROUPED_KEY].splitlines()]


async def deliver_grouped(fetcher: Fetcher, batch: FetchBatch) -> None:
    await fetcher.broker.publish(batch, topic=topics.TICKER_BATCHES, key=b"r1/g00000")


class TestGroupedBatch:
    async def test_one_object_holds_the_market_per_ticker_from_grouped_daily(
        self, grouped: Fetcher
    ) -> None:
        """Whole market, three days: one object, header source grouped_daily, a line per
        ticker with its three bars, and three requests counted."""
        await deliver_grouped(grouped, grouped_batch([]))

        [head, *items] = grouped_lines(grouped)
        assert (
            ("daily_bars", "grouped_daily", "g00000", "2024-07-01", "2024-07-03", 3, 3),
            [("AAPL", 3), ("BRK.A", 3), ("MSFT", 3)],
            [GROUPED_KEY],
        ) == (
            (head["kind"], head["source"], head["batch_id"], head["from"], head["to"],
             head["items"], head["api_requests"]),
            [(i["ticker"], len(i["bars"])) for i in items],
            grouped.store.puts,
        )  # fmt: skip

    async def test_each_day_is_one_grouped_request_and_no_range_is_asked(
        self, grouped: Fetcher
    ) -> None:
        """Grouped daily per day, as traded and without OTC; no range calls."""
        await deliver_grouped(grouped, grouped_batch([]))

        assert ([(d, False, False) for d in JUL], []) == (
            sorted(grouped.api.grouped_calls),
            grouped.api.bar_calls,
        )

    async def test_the_batch_is_marked_fetched_with_the_requests_made(
        self, grouped: Fetcher
    ) -> None:
        """control.batches gets the object key and three requests, one per day."""
        await deliver_grouped(grouped, grouped_batch([]))

        assert {("r1", "g00000"): (GROUPED_KEY, 3)} == grouped.batches.fetched

    async def test_a_day_given_up_counts_by_its_status(self) -> None:
        """Two days answered, one given up on 503s: recorded as such."""
        broker = KafkaBroker()
        fetcher = fetcher_on(broker, FakeObjectStore())
        fetcher.api.day_errors = {JUL[1]: PolygonGaveUp("HTTP 503", status=503, attempts=7)}

        async with TestKafkaBroker(broker):
            await deliver_grouped(fetcher, grouped_batch([]))

        assert {"200": 2, "503": 1} == fetcher.batches.statuses[("r1", "g00000")]

    async def test_named_tickers_and_own_starts_filter_the_days(self, grouped: Fetcher) -> None:
        """Only the batch's tickers are written, and MSFT only from its own start."""
        await deliver_grouped(grouped, grouped_batch(["AAPL", "MSFT"], {"MSFT": "2024-07-03"}))

        [head, *items] = grouped_lines(grouped)
        assert (2, [("AAPL", 3), ("MSFT", 1)]) == (
            head["items"],
            [(i["ticker"], len(i["bars"])) for i in items],
        )

    async def test_a_failed_day_is_recorded_and_costs_only_itself(self) -> None:
        """A day the API gave up on is a `*grouped` line with its kind; other days are kept."""
        broker = KafkaBroker()
        fetcher = fetcher_on(broker, FakeObjectStore())
        fetcher.api.bars = {"AAPL": day_bars("AAPL", JUL)}
        fetcher.api.day_errors = {JUL[1]: PolygonGaveUp("HTTP 503", status=503, attempts=7)}

        async with TestKafkaBroker(broker):
            await deliver_grouped(fetcher, grouped_batch([]))

        items = grouped_lines(fetcher)[1:]
        assert [("AAPL", 2, None), ("*grouped 2024-07-02", 0, "gave_up")] == [
            (i["ticker"], len(i["bars"]), (i.get("error") or {}).get("kind")) for i in items
        ]

    async def test_the_same_grouped_batch_fetched_twice_writes_the_same_object(self) -> None:
        """Fetched again while control still wants it: the same key, the same bytes."""
        broker = KafkaBroker()
        grouped = fetcher_on(broker, FakeObjectStore(), batches=FakeBatchRepository(refetch=True))
        grouped.api.bars = {t: day_bars(t, JUL) for t in ("AAPL", "BRK.A", "MSFT")}
        batch = grouped_batch([])

        async with TestKafkaBroker(broker):
            await deliver_grouped(grouped, batch)
            objects = dict(grouped.store.objects)
            await deliver_grouped(grouped, batch)

        assert (objects, [GROUPED_KEY, GROUPED_KEY]) == (grouped.store.objects, grouped.store.puts)


class TestUnusableBatches:
    @pytest.mark.parametrize(
        "body",
        [
            b"\x00\xff",
            b'{"run_id": "r1"}',
            b'{"run_id": "r1", "message_id": "m", '
            b'"batch_id": "b1", "seq": -1, "total_batches": 1, "tickers": [], '
            b'"from": "2024-01-01", "to": "2024-01-02"}',
        ],
    )
    async def test_a_malformed_batch_is_dead_lettered_with_its_bytes(
        self, fetcher: Fetcher, body: bytes
    ) -> None:
        """Bytes that are not a FetchBatch go to the .dlq twin; nothing is fetched or written."""
        await deliver(fetcher, body)

        [dead] = fetcher.dlq.messages
        assert (body, b"r1/b00003", topics.TICKER_BATCHES, [], {}) == (
            dead.body,
            dead.key,
            dead.headers["x-original-topic"],
            fetcher.api.bar_calls,
            fetcher.store.objects,
        )
        assert dead.headers["x-dead-letter-reason"].startswith("invalid FetchBatch")
