"""The loader's subscriber on the in-memory broker, over fakes: MinIO's object-created event in,
rows upserted and a batch-loaded event out."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker

from services.loader.handlers import build_router
from services.loader.service import Loader as LoaderService
from shared.messages import topics
from shared.messages.raw_objects import ObjectHeader, TickerBars, TickerError, encode_object
from tests.fakes.kafka import INSTANT_RETRIES, TopicRecorder
from tests.fakes.loader import FakeRawRepository
from tests.fakes.storage import FakeObjectStore

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "minio"
BUCKET = "stocks-raw"
KEY = "raw/polygon/r1/b00000.jsonl"
TICKERS_KEY = "raw/polygon/r1/tickers.jsonl"
T0 = 1112331600000  # 2005-04-01 00:00 New York
BAR = {"o": 10.0, "h": 11.0, "l": 9.0, "c": 10.5, "v": 1000.0, "t": T0}


def event(key: str = KEY, bucket: str = BUCKET, name: str = "s3:ObjectCreated:Put") -> bytes:
    """MinIO's notification as its Kafka target sends it (the recorded shape, key escaped)."""
    body: dict[str, Any] = json.loads((FIXTURES / "minio-kafka-event-constructed.json").read_text())
    record = body["Records"][0]
    body["EventName"] = record["eventName"] = name
    body["Key"] = f"{bucket}/{key}"
    record["s3"]["bucket"]["name"] = bucket
    record["s3"]["object"]["key"] = quote_plus(key, safe="")
    return json.dumps(body).encode()


def bars_object(*items: TickerBars, run_id: str = "r1", batch_id: str = "b00000") -> bytes:
    head = ObjectHeader(
        kind="daily_bars", run_id=run_id, batch_id=batch_id, source="aggs_range", items=len(items)
    )
    return encode_object(head, items)


GOOD = bars_object(
    TickerBars(ticker="AAPL", bars=[BAR, {**BAR, "t": T0 + 3 * 86_400_000, "vw": 10.1, "n": 7}]),
    TickerBars(ticker="BRK.A", bars=[BAR]),
    TickerBars(ticker="KIMpL", error=TickerError(kind="not_entitled", reason="403")),
)


@dataclass
class Loader:
    broker: KafkaBroker
    store: FakeObjectStore
    repo: FakeRawRepository
    loaded: TopicRecorder
    dlq: TopicRecorder

    async def deliver(self, body: bytes) -> None:
        await self.broker.publish(body, topic=topics.RAW_OBJECT_EVENTS, key=b"stocks-raw/k")


@pytest.fixture
async def loader() -> AsyncIterator[Loader]:
    broker = KafkaBroker()
    store, repo = FakeObjectStore(), FakeRawRepository(runs={"r1"})
    broker.include_router(
        build_router(broker, LoaderService(store, repo, broker, BUCKET, "raw/"), INSTANT_RETRIES)
    )
    loaded = TopicRecorder(broker, topics.BATCH_LOADED)
    dlq = TopicRecorder(broker, topics.dlq(topics.RAW_OBJECT_EVENTS))
    store.objects[KEY] = GOOD
    async with TestKafkaBroker(broker):
        yield Loader(broker, store, repo, loaded, dlq)


class TestLoadObject:
    async def test_bars_are_upserted_keyed_by_ticker_date_and_adjusted(
        self, loader: Loader
    ) -> None:
        """Each bar is one row under (ticker, New York trading date, adjusted), as traded."""
        await loader.deliver(event())

        assert {
            ("AAPL", date(2005, 4, 1), False),
            ("AAPL", date(2005, 4, 4), False),
            ("BRK.A", date(2005, 4, 1), False),
        } == set(loader.repo.bars)

    async def test_rows_remember_the_run_and_object_they_came_from(self, loader: Loader) -> None:
        """Source, run and object key are kept with the values."""
        await loader.deliver(event())

        row = loader.repo.bars[("AAPL", date(2005, 4, 4), False)]
        assert ("aggs_range", "r1", KEY, 10.1, 7) == (
            row["source"],
            row["run_id"],
            row["object_key"],
            row["vwap"],
            row["transactions"],
        )

    async def test_a_failed_ticker_is_recorded_for_the_run(self, loader: Loader) -> None:
        """The fetcher's per-ticker error lands in the run's ticker errors."""
        await loader.deliver(event())

        assert {("r1", "KIMpL"): ("b00000", "not_entitled", "403")} == loader.repo.ticker_errors

    async def test_a_batch_loaded_event_is_published_keyed(self, loader: Loader) -> None:
        """One BatchLoaded with the counts, keyed run/batch, with a deterministic id."""
        await loader.deliver(event())

        [sent] = loader.loaded.messages
        body = sent.json()
        assert (b"r1/b00000", "r1/b00000/loaded", "b00000", KEY, 3, 1) == (
            sent.key,
            body["message_id"],
            body["batch_id"],
            body["object_key"],
            body["bars_loaded"],
            body["tickers_failed"],
        )

    async def test_the_event_as_minio_sends_it_is_understood(self, loader: Loader) -> None:
        """The key arrives query-escaped ('/' as %2F) and is unescaped before reading."""
        loader.store.objects[KEY] = GOOD

        await loader.deliver(event(KEY))

        assert [("daily_bars", "r1", "b00000", KEY)] == loader.repo.loads

    async def test_an_object_whose_header_names_another_batch_is_dead_lettered(
        self, loader: Loader
    ) -> None:
        """A stray object whose header claims r1/b00000 under another key completes nothing."""
        stray = "raw/polygon/r1/b00009.jsonl"
        loader.store.objects[stray] = GOOD

        await loader.deliver(event(stray))

        [dead] = loader.dlq.messages
        assert ([], True) == (
            loader.repo.loads,
            "do not match the key" in dead.headers["x-dead-letter-reason"],
        )

    async def test_a_bad_line_costs_only_its_ticker(self, loader: Loader) -> None:
        """A malformed line and a control-character ticker are errors, named by their lines
        (a NUL cannot be stored); the rest load."""
        loader.store.objects[KEY] = GOOD + b'{"ticker": "BAD\\u0000", "bars": []}\n{oops\n'

        await loader.deliver(event())

        assert (3, {"KIMpL", "<line 5>", "<line 6>"}) == (
            len(loader.repo.bars),
            {t for _, t in loader.repo.ticker_errors},
        )

    async def test_a_tickers_object_loads_the_listing(self, loader: Loader) -> None:
        """The lister's object fills raw.tickers; its event counts no bars."""
        head = ObjectHeader(
            kind="tickers", run_id="r1", batch_id="tickers", source="reference_tickers", items=2
        )
        loader.store.objects[TICKERS_KEY] = encode_object(
            head,
            [
                {"ticker": "AAPL", "name": "Apple", "active": True},
                {"name": "no ticker"},
            ],
        )

        await loader.deliver(event(TICKERS_KEY))

        assert (["AAPL"], 0) == (
            list(loader.repo.tickers),
            loader.loaded.bodies()[0]["bars_loaded"],
        )


class TestRedelivery:
    async def test_the_same_event_twice_leaves_the_same_rows(self, loader: Loader) -> None:
        """A duplicate notification rewrites no row and keeps the first loaded_at."""
        await loader.deliver(event())
        state = (
            dict(loader.repo.bars),
            dict(loader.repo.ticker_errors),
            dict(loader.repo.batches),
            loader.repo.rows_written,
        )

        await loader.deliver(event())

        assert state == (
            loader.repo.bars,
            loader.repo.ticker_errors,
            loader.repo.batches,
            loader.repo.rows_written,
        )

    async def test_the_same_event_twice_announces_the_same_batch(self, loader: Loader) -> None:
        """Both deliveries publish the same message id, which the transformer's set absorbs."""
        await loader.deliver(event())
        await loader.deliver(event())

        assert ["r1/b00000/loaded"] * 2 == [b["message_id"] for b in loader.loaded.bodies()]

    async def test_an_overwritten_object_updates_its_bars_in_place(self, loader: Loader) -> None:
        """A re-fetch that changed a value updates that row; no bar is duplicated."""
        await loader.deliver(event())
        loader.store.objects[KEY] = bars_object(
            TickerBars(ticker="BRK.A", bars=[{**BAR, "c": 10.75}])
        )

        await loader.deliver(event())

        assert (3, 10.75) == (
            len(loader.repo.bars),
            loader.repo.bars[("BRK.A", date(2005, 4, 1), False)]["close"],
        )


class TestIgnoredEvents:
    @pytest.mark.parametrize(
        "body",
        [
            event(bucket="images"),
            event(key="other/polygon/r1/b00000.jsonl"),
            event(name="s3:ObjectRemoved:Delete"),
            (FIXTURES / "minio-kafka-event.json").read_bytes(),
        ],
        ids=["other-bucket", "other-prefix", "removed", "minio-docs-sample"],
    )
    async def test_events_outside_the_raw_prefix_are_ignored(
        self, loader: Loader, body: bytes
    ) -> None:
        """Other buckets, prefixes and event kinds are acked and do nothing."""
        await loader.deliver(body)

        assert ([], [], []) == (loader.repo.loads, loader.loaded.messages, loader.dlq.messages)


class TestDeadLetters:
    @pytest.mark.parametrize(
        "body", [b"not json", b"{}", b'{"EventName": "s3:ObjectCreated:Put", "Records": []}']
    )
    async def test_an_unparseable_event_is_dead_lettered_with_its_bytes(
        self, loader: Loader, body: bytes
    ) -> None:
        """Bytes that are not a MinIO event go to the .dlq twin with the reason and key."""
        await loader.deliver(body)

        [dead] = loader.dlq.messages
        assert (body, b"stocks-raw/k", topics.RAW_OBJECT_EVENTS, []) == (
            dead.body,
            dead.key,
            dead.headers["x-original-topic"],
            loader.repo.loads,
        )
        assert dead.headers["x-dead-letter-reason"].startswith("invalid ObjectCreated")

    @pytest.mark.parametrize(
        ("content", "why"),
        [
            (b"", "empty object"),
            (b'{"kind": "daily_bars"}\n', "bad header"),
            (bars_object(run_id="never-registered"), "do not match the key"),
        ],
    )
    async def test_an_unreadable_object_is_dead_lettered(
        self, loader: Loader, content: bytes, why: str
    ) -> None:
        """An object without a usable header, or of an unknown run, is dead-lettered; the
        event's own bytes go with the reason, and nothing is loaded or announced."""
        loader.store.objects[KEY] = content
        body = event()

        await loader.deliver(body)

        [dead] = loader.dlq.messages
        assert (body, [], []) == (dead.body, loader.repo.loads, loader.loaded.messages)
        assert f"malformed object {KEY}: " in dead.headers["x-dead-letter-reason"]
        assert why in dead.headers["x-dead-letter-reason"]

    async def test_an_event_whose_object_is_gone_is_dead_lettered(self, loader: Loader) -> None:
        """A late event for a deleted object cannot succeed on redelivery: it is dead-lettered
        instead of blocking its partition."""
        loader.store.objects.pop(KEY, None)
        body = event()

        await loader.deliver(body)

        [dead] = loader.dlq.messages
        assert (body, [], []) == (dead.body, loader.repo.loads, loader.loaded.messages)
        assert f"malformed object {KEY}: " in dead.headers["x-dead-letter-reason"]
