"""The lister's subscriber on the in-memory broker, over fakes: run request in, registered run,
tickers object and keyed fetch batches out."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import orjson
import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker

from services.lister.handlers import ListerDeps, build_router
from services.lister.repository import RunRepository
from services.lister.service import Lister
from shared.clients.polygon import PolygonClient, PolygonGaveUp, TickerRef
from shared.messages import RunStatus, topics
from tests.fakes import FakeObjectStore, FakePolygonClient, FakeRunRepository, TopicRecorder

pytestmark = pytest.mark.unit

SENT_MS = int(datetime(2024, 4, 2, 14, 30, tzinfo=UTC).timestamp() * 1000)
REQUEST = b'{"run_id": "r1", "from": "2024-01-02", "to": "2024-03-28", "batch_size": 2}'


def ref(ticker: str, active: bool = True, delisted: str | None = None) -> TickerRef:
    raw = {"ticker": ticker, "name": ticker, "market": "stocks", "locale": "us", "active": active}
    if delisted:
        raw["delisted_utc"] = delisted
    return TickerRef.model_validate({**raw, "raw": raw})


LISTING = [
    ref("MSFT"),
    ref("AAPL"),
    ref("BRK.A"),
    ref("KIMpL"),
    ref("GONE", active=False, delisted="2023-06-01T00:00:00Z"),
    ref("LATE", active=False, delisted="2024-02-15T00:00:00Z"),
]


@dataclass
class ListerUnderTest:
    broker: KafkaBroker
    api: FakePolygonClient
    store: FakeObjectStore
    repo: FakeRunRepository
    batches: TopicRecorder
    events: TopicRecorder
    dlq: TopicRecorder

    def fetch_commands(self) -> list[dict[str, Any]]:
        """The fetch commands, without the producer's clock."""
        return [{k: v for k, v in b.items() if k != "produced_at"} for b in self.batches.bodies()]


@pytest.fixture
async def lister() -> AsyncIterator[ListerUnderTest]:
    broker = KafkaBroker()
    api, store, repo = FakePolygonClient(LISTING), FakeObjectStore(), FakeRunRepository()
    service = Lister(
        cast(PolygonClient, api),
        store,
        cast(RunRepository, repo),
        broker,
        raw_prefix="raw/",
        include_delisted=True,
    )
    broker.include_router(
        build_router(ListerDeps(broker, cast(RunRepository, repo), service, history_days=365))
    )
    recorders = [
        TopicRecorder(broker, t)
        for t in (topics.TICKER_BATCHES, topics.RUN_EVENTS, topics.dlq(topics.RUN_REQUESTS))
    ]
    async with TestKafkaBroker(broker):
        yield ListerUnderTest(broker, api, store, repo, *recorders)


async def deliver(lister: ListerUnderTest, body: bytes, timestamp_ms: int = SENT_MS) -> None:
    await lister.broker.publish(body, topic=topics.RUN_REQUESTS, timestamp_ms=timestamp_ms)


class TestRunRequest:
    async def test_the_run_is_registered_running_with_its_total(
        self, lister: ListerUnderTest
    ) -> None:
        """Five tickers in batches of two: three fetch batches plus the tickers batch."""
        await deliver(lister, REQUEST)

        run = lister.repo.runs["r1"]
        assert (RunStatus.RUNNING, 4, 5) == (run.status, run.total_batches, run.tickers_total)

    async def test_the_listing_is_stored_as_sent_for_the_loader(
        self, lister: ListerUnderTest
    ) -> None:
        """The tickers object: a header, then each chosen ticker's item as the API sent it."""
        await deliver(lister, REQUEST)

        lines = lister.store.objects["raw/polygon/r1/tickers.jsonl"].splitlines()
        header, items = orjson.loads(lines[0]), [orjson.loads(x) for x in lines[1:]]
        assert ("tickers", "r1", "tickers", 5) == (
            header["kind"],
            header["run_id"],
            header["batch_id"],
            header["items"],
        )
        assert {"AAPL", "BRK.A", "KIMpL", "LATE", "MSFT"} == {i["ticker"] for i in items}

    async def test_fetch_batches_are_published_keyed_with_stable_ids(
        self, lister: ListerUnderTest
    ) -> None:
        """One FetchBatch per batch, keyed run/batch, with deterministic message ids."""
        await deliver(lister, REQUEST)

        sent = [
            (m.key, c["message_id"], c["tickers"], c["total_batches"])
            for m, c in zip(lister.batches.messages, lister.fetch_commands(), strict=True)
        ]
        assert [
            (b"r1/b00000", "r1/b00000/fetch", ["AAPL", "BRK.A"], 4),
            (b"r1/b00001", "r1/b00001/fetch", ["KIMpL", "LATE"], 4),
            (b"r1/b00002", "r1/b00002/fetch", ["MSFT"], 4),
        ] == sent

    async def test_a_listed_event_announces_the_run(self, lister: ListerUnderTest) -> None:
        """The run-events topic says the run is listed, with its totals."""
        await deliver(lister, REQUEST)

        [event] = lister.events.bodies()
        assert ("r1/listed", "running", 4, 5) == (
            event["message_id"],
            event["status"],
            event["total_batches"],
            event["tickers"],
        )

    async def test_a_request_without_run_id_is_named_by_its_kafka_coordinates(
        self, lister: ListerUnderTest
    ) -> None:
        """`{}` (as from Kafka UI) starts a run named by its timestamp, partition, offset."""
        await deliver(lister, b"{}")

        assert ["20240402-143000-p0o0"] == list(lister.repo.runs)


class TestRedelivery:
    async def test_the_same_request_twice_leaves_the_same_state(
        self, lister: ListerUnderTest
    ) -> None:
        """A redelivered request registers nothing new and lists nothing again."""
        await deliver(lister, REQUEST)
        runs, batches = dict(lister.repo.runs), dict(lister.repo.batches)
        objects, requests = dict(lister.store.objects), lister.api.requests_made

        await deliver(lister, REQUEST)

        assert (runs, batches, objects, requests) == (
            lister.repo.runs,
            lister.repo.batches,
            lister.store.objects,
            lister.api.requests_made,
        )

    async def test_a_redelivery_republishes_the_same_commands(
        self, lister: ListerUnderTest
    ) -> None:
        """The second delivery publishes the unloaded batches again, identical but for the
        producer's clock, so the fetchers' work is idempotent."""
        await deliver(lister, REQUEST)
        first = lister.fetch_commands()

        await deliver(lister, REQUEST)

        assert first + first == lister.fetch_commands()

    async def test_a_redelivery_skips_batches_already_loaded(self, lister: ListerUnderTest) -> None:
        """Only batches not yet loaded are published again."""
        await deliver(lister, REQUEST)
        lister.repo.mark_loaded("r1", "b00001")
        lister.batches.messages.clear()

        await deliver(lister, REQUEST)

        assert ["b00000", "b00002"] == [c["batch_id"] for c in lister.fetch_commands()]

    async def test_a_request_without_run_id_redelivered_is_one_run(
        self, lister: ListerUnderTest
    ) -> None:
        """The same Kafka coordinates name the same run on every delivery."""
        await deliver(lister, b"{}")
        await deliver(lister, b"{}")

        assert 1 == len(lister.repo.runs)


class TestUnusableRequests:
    @pytest.mark.parametrize("body", [b"{not json", b'{"batch_size": 0}', b'{"tickers": [" A"]}'])
    async def test_a_malformed_request_is_dead_lettered_with_its_bytes(
        self, lister: ListerUnderTest, body: bytes
    ) -> None:
        """The original bytes go to the .dlq twin with the reason; no run is registered."""
        await deliver(lister, body)

        [dead] = lister.dlq.messages
        assert (body, topics.RUN_REQUESTS, {}) == (
            dead.body,
            dead.headers["x-original-topic"],
            lister.repo.runs,
        )
        assert dead.headers["x-dead-letter-reason"].startswith("invalid RunRequest")

    async def test_from_after_to_is_dead_lettered(self, lister: ListerUnderTest) -> None:
        """A valid but unrunnable range is dead-lettered, saying why."""
        body = b'{"from": "2024-02-01", "to": "2024-01-01"}'

        await deliver(lister, body)

        [dead] = lister.dlq.messages
        assert (body, "invalid RunRequest: from 2024-02-01 is after to 2024-01-01") == (
            dead.body,
            dead.headers["x-dead-letter-reason"],
        )


class TestListingFails:
    async def test_a_failed_listing_ends_the_run_failed_and_says_so(self) -> None:
        """When Polygon cannot list tickers the run fails with the reason; nothing is fetched."""
        broker = KafkaBroker()
        api = FakePolygonClient(LISTING, listing_error=PolygonGaveUp("HTTP 503", attempts=6))
        repo = FakeRunRepository()
        service = Lister(
            cast(PolygonClient, api),
            FakeObjectStore(),
            cast(RunRepository, repo),
            broker,
            raw_prefix="raw/",
            include_delisted=True,
        )
        broker.include_router(
            build_router(ListerDeps(broker, cast(RunRepository, repo), service, 365))
        )
        batches, events = (
            TopicRecorder(broker, topics.TICKER_BATCHES),
            TopicRecorder(broker, topics.RUN_EVENTS),
        )

        async with TestKafkaBroker(broker) as br:
            await br.publish(REQUEST, topic=topics.RUN_REQUESTS)

        [event] = events.bodies()
        assert (RunStatus.FAILED, [], "failed") == (
            repo.runs["r1"].status,
            batches.messages,
            event["status"],
        )
        assert "listing tickers failed" in (repo.runs["r1"].reason or "")


class TestFakesMatchTheAdapters:
    @pytest.mark.parametrize(
        ("fake", "real"), [(FakeRunRepository, RunRepository), (FakePolygonClient, PolygonClient)]
    )
    def test_every_method_the_fake_has_takes_the_real_parameters(
        self, fake: type, real: type
    ) -> None:
        """The fakes cannot drift: same parameter names, kinds and defaults as the adapter."""

        def params(cls: type, name: str) -> list[tuple[str, Any, Any]]:
            sig = inspect.signature(getattr(cls, name))
            return [(p.name, p.kind, p.default) for p in sig.parameters.values()]

        names = [
            n
            for n in vars(fake)
            if not n.startswith("_") and callable(getattr(fake, n)) and hasattr(real, n)
        ]

        assert [params(real, n) for n in names] == [params(fake, n) for n in names]

    def test_the_run_repository_fake_has_every_real_method(self) -> None:
        """Nothing the lister may call on the repository is missing from the fake."""
        public = {n for n in vars(RunRepository) if not n.startswith("_")}

        assert set() == public - set(vars(FakeRunRepository))
