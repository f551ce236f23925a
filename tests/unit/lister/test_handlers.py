"""The lister's subscriber on the in-memory broker, over fakes: run request in, registered run,
tickers object and keyed fetch batches out (per-ticker ranges, grouped days or both, then one
splits and one dividends batch)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker

from services.lister.handlers import build_router
from services.lister.service import Lister
from shared.clients.polygon import PolygonGaveUp, TickerRef
from shared.messages import RunStatus, topics
from tests.fakes.kafka import INSTANT_RETRIES, TopicRecorder
from tests.fakes.lister import FakeRunRepository
from tests.fakes.polygon import FakePolygonClient
from tests.fakes.storage import FakeObjectStore

pytestmark = pytest.mark.unit

SENT_MS = int(datetime(2024, 7, 8, 14, 30, tzinfo=UTC).timestamp() * 1000)
HISTORY_START = date(2015, 1, 2)
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

    def bar_commands(self) -> list[dict[str, Any]]:
        """The fetch commands of bars (not of corporate actions)."""
        return [c for c in self.fetch_commands() if c["actions"] is None]

    def action_commands(self) -> list[dict[str, Any]]:
        """The fetch commands of corporate actions."""
        return [c for c in self.fetch_commands() if c["actions"] is not None]


def lister_on(
    broker: KafkaBroker,
    api: FakePolygonClient,
    repo: FakeRunRepository,
    history_start: date = HISTORY_START,
    actions_lookback: timedelta = timedelta(days=30),
) -> ListerUnderTest:
    store = FakeObjectStore()
    service = Lister(
        api,
        store,
        repo,
        broker,
        raw_prefix="raw/",
        include_delisted=True,
        history_start=history_start,
        days_per_batch=5,
        actions_lookback=actions_lookback,
    )
    broker.include_router(build_router(broker, service, INSTANT_RETRIES))
    recorders = [
        TopicRecorder(broker, t)
        for t in (topics.TICKER_BATCHES, topics.RUN_EVENTS, topics.dlq(topics.RUN_REQUESTS))
    ]
    return ListerUnderTest(broker, api, store, repo, *recorders)


@pytest.fixture
async def lister() -> AsyncIterator[ListerUnderTest]:
    broker = KafkaBroker()
    under_test = lister_on(broker, FakePolygonClient(LISTING), FakeRunRepository())
    async with TestKafkaBroker(broker):
        yield under_test


async def deliver(lister: ListerUnderTest, body: bytes, timestamp_ms: int = SENT_MS) -> None:
    await lister.broker.publish(body, topic=topics.RUN_REQUESTS, timestamp_ms=timestamp_ms)


def by_batch_id(commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The order a redelivery republishes in: control.batches' batch ids."""
    return sorted(commands, key=lambda c: str(c["batch_id"]))


class TestRunRequest:
    async def test_the_run_is_registered_running_with_its_total(
        self, lister: ListerUnderTest
    ) -> None:
        """Five tickers in batches of two: three bar batches, a splits and a dividends batch,
        plus the tickers batch."""
        await deliver(lister, REQUEST)

        run = lister.repo.runs["r1"]
        assert (RunStatus.RUNNING, 6, 5) == (run.status, run.total_batches, run.tickers_total)

    async def test_the_run_records_its_listings_requests_by_status(
        self, lister: ListerUnderTest
    ) -> None:
        """Listed and delisted names, a page each: two requests, both answered 200."""
        await deliver(lister, REQUEST)

        run = lister.repo.runs["r1"]
        assert (2, {"200": 2}) == (run.api_requests, run.api_statuses)

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
        """One FetchBatch per batch, keyed run/batch, with deterministic message ids; the
        corporate actions last, of the whole market (no ticker named in the request)."""
        await deliver(lister, REQUEST)

        sent = [
            (m.key, c["message_id"], c["tickers"], c["total_batches"])
            for m, c in zip(lister.batches.messages, lister.fetch_commands(), strict=True)
        ]
        assert [
            (b"r1/b00000", "r1/b00000/fetch", ["AAPL", "BRK.A"], 6),
            (b"r1/b00001", "r1/b00001/fetch", ["KIMpL", "LATE"], 6),
            (b"r1/b00002", "r1/b00002/fetch", ["MSFT"], 6),
            (b"r1/splits", "r1/splits/fetch", [], 6),
            (b"r1/dividends", "r1/dividends/fetch", [], 6),
        ] == sent

    async def test_a_listed_event_announces_the_run(self, lister: ListerUnderTest) -> None:
        """The run-events topic says the run is listed, with its totals."""
        await deliver(lister, REQUEST)

        [event] = lister.events.bodies()
        assert ("r1/listed", "running", 6, 5) == (
            event["message_id"],
            event["status"],
            event["total_batches"],
            event["tickers"],
        )

    async def test_the_listed_event_and_the_run_say_how_it_fetches_and_why(
        self, lister: ListerUnderTest
    ) -> None:
        """Five tickers over a quarter: per-ticker ranges, with the planner's reason, on the
        event and in control.runs."""
        await deliver(lister, REQUEST)

        [event] = lister.events.bodies()
        run = lister.repo.runs["r1"]
        reason = "5 range requests, no more than grouped daily needs"
        assert (("per_ticker", reason), ("per_ticker", reason)) == (
            (event["plan"], event["detail"]),
            (run.plan, run.plan_reason),
        )

    async def test_a_range_run_asks_for_no_grouped_days(self, lister: ListerUnderTest) -> None:
        """Per-ticker commands carry no days and, with one `from` for all, no own starts."""
        await deliver(lister, REQUEST)

        assert [(None, None, "2024-01-02")] * 3 == [
            (c["days"], c["starts"], c["from"]) for c in lister.bar_commands()
        ]

    async def test_a_request_without_run_id_is_named_by_its_kafka_coordinates(
        self, lister: ListerUnderTest
    ) -> None:
        """`{}` (as from Kafka UI) starts a run named by its timestamp, partition, offset."""
        await deliver(lister, b"{}")

        assert ["20240708-143000-p0o0"] == list(lister.repo.runs)


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
        """The second delivery publishes the unloaded batches again (in batch id order: each is
        keyed on its own), identical but for the producer's clock, so the fetchers' work is
        idempotent."""
        await deliver(lister, REQUEST)
        first = lister.fetch_commands()

        await deliver(lister, REQUEST)

        assert first + by_batch_id(first) == lister.fetch_commands()

    async def test_a_redelivery_skips_batches_already_loaded(self, lister: ListerUnderTest) -> None:
        """Only batches not yet loaded are published again, corporate actions included."""
        await deliver(lister, REQUEST)
        lister.repo.mark_loaded("r1", "b00001")
        lister.repo.mark_loaded("r1", "splits")
        lister.batches.messages.clear()

        await deliver(lister, REQUEST)

        assert ["b00000", "b00002", "dividends"] == [c["batch_id"] for c in lister.fetch_commands()]

    async def test_a_request_without_run_id_redelivered_is_one_run(
        self, lister: ListerUnderTest
    ) -> None:
        """The same Kafka coordinates name the same run on every delivery."""
        await deliver(lister, b"{}")
        await deliver(lister, b"{}")

        assert 1 == len(lister.repo.runs)


# An incremental day after a holiday week: 38 tickers loaded through Friday 28 June, one loaded
# through 2 July, and NEWCO never loaded, whose history starts in January.
WEEK = ["2024-07-01", "2024-07-02", "2024-07-03", "2024-07-05"]
LOADED = [f"T{i:02d}" for i in range(38)]
INCREMENTAL = b'{"run_id": "inc", "to": "2024-07-05", "batch_size": 50}'


def incremental_repo() -> FakeRunRepository:
    marks = dict.fromkeys(LOADED, date(2024, 6, 28))
    marks["AHEAD"] = date(2024, 7, 2)
    return FakeRunRepository(watermarks=marks)


@pytest.fixture
async def incremental() -> AsyncIterator[ListerUnderTest]:
    broker = KafkaBroker()
    api = FakePolygonClient([ref(t) for t in [*LOADED, "AHEAD", "NEWCO"]])
    under_test = lister_on(broker, api, incremental_repo(), history_start=date(2024, 1, 2))
    async with TestKafkaBroker(broker):
        yield under_test


class TestIncrementalRun:
    async def test_a_request_without_from_fetches_the_week_by_day_and_newco_by_range(
        self, incremental: ListerUnderTest
    ) -> None:
        """Mixed plan: NEWCO's half year as one range, then the four sessions grouped for the
        whole market; AHEAD carries its own start so its earlier bars are dropped."""
        await deliver(incremental, INCREMENTAL)

        sent = [
            (m.key, c["batch_id"], c["seq"], c["total_batches"], c["tickers"], c["from"],
             c["to"], c["starts"], c["days"])
            for m, c in zip(incremental.batches.messages, incremental.fetch_commands(), strict=True)
            if c["actions"] is None
        ]  # fmt: skip
        assert [
            (b"inc/b00000", "b00000", 0, 5, ["NEWCO"], "2024-01-02", "2024-07-05", None, None),
            (b"inc/g00000", "g00000", 1, 5, [], "2024-07-01", "2024-07-05",
             {"AHEAD": "2024-07-03", "NEWCO": "2024-07-06"}, WEEK),
        ] == sent  # fmt: skip

    async def test_the_listed_event_carries_the_mixed_plan_and_its_reason(
        self, incremental: ListerUnderTest
    ) -> None:
        """Five requests instead of forty: the event and the run say so."""
        await deliver(incremental, INCREMENTAL)

        [event] = incremental.events.bodies()
        run = incremental.repo.runs["inc"]
        reason = "4 grouped-daily + 1 range requests instead of 40 range requests"
        assert ("mixed", reason, 5, 40, "mixed", reason, None) == (
            event["plan"],
            event["detail"],
            event["total_batches"],
            event["tickers"],
            run.plan,
            run.plan_reason,
            run.request["from"],
        )

    async def test_a_redelivery_republishes_the_planned_commands_not_a_new_plan(
        self, incremental: ListerUnderTest
    ) -> None:
        """Watermarks moved since (the loader loaded NEWCO): a redelivered request still
        publishes the stored commands, days and starts included, not a re-plan."""
        await deliver(incremental, INCREMENTAL)
        first = incremental.fetch_commands()
        incremental.repo.last_dates["NEWCO"] = date(2024, 7, 5)

        await deliver(incremental, INCREMENTAL)

        assert first + by_batch_id(first) == incremental.fetch_commands()

    async def test_an_up_to_date_universe_publishes_no_bar_batch(self) -> None:
        """Everything loaded through `to`: no bar batch, only the listing and the corporate
        actions, which are read again (announced late, corrected later)."""
        broker = KafkaBroker()
        api = FakePolygonClient([ref("A"), ref("B")])
        repo = FakeRunRepository(watermarks={"A": date(2024, 7, 5), "B": date(2024, 7, 5)})
        under_test = lister_on(broker, api, repo)

        async with TestKafkaBroker(broker):
            await deliver(under_test, INCREMENTAL)

        [event] = under_test.events.bodies()
        assert ([], ["splits", "dividends"], "up_to_date", 3, RunStatus.RUNNING) == (
            under_test.bar_commands(),
            [c["batch_id"] for c in under_test.action_commands()],
            event["plan"],
            event["total_batches"],
            repo.runs["inc"].status,
        )

    async def test_a_forced_per_ticker_plan_fetches_every_ticker_by_range(self) -> None:
        """plan=per_ticker overrides the planner: forty ranges, each from its own start."""
        broker = KafkaBroker()
        api = FakePolygonClient([ref(t) for t in [*LOADED, "AHEAD", "NEWCO"]])
        under_test = lister_on(broker, api, incremental_repo(), history_start=date(2024, 1, 2))
        body = b'{"run_id": "inc", "to": "2024-07-05", "batch_size": 50, "plan": "per_ticker"}'

        async with TestKafkaBroker(broker):
            await deliver(under_test, body)

        [command] = under_test.bar_commands()
        expected_starts = {"AHEAD": "2024-07-03", **{t: "2024-06-29" for t in LOADED}}
        assert (40, "2024-01-02", expected_starts, None) == (
            len(command["tickers"]),
            command["from"],
            command["starts"],
            command["days"],
        )

    async def test_a_ticker_delisted_before_its_own_start_is_not_fetched(self) -> None:
        """DEAD has bars through its delisting day: nothing after can exist, so an incremental
        run asks nothing for it (else every delisted name costs a request on every run)."""
        broker = KafkaBroker()
        api = FakePolygonClient([ref("A"), ref("DEAD", active=False, delisted="2024-03-01")])
        marks = {"A": date(2024, 7, 3), "DEAD": date(2024, 3, 1)}
        under_test = lister_on(broker, api, FakeRunRepository(watermarks=marks))

        async with TestKafkaBroker(broker):
            await deliver(under_test, INCREMENTAL)

        assert [["A"]] == [c["tickers"] for c in under_test.bar_commands()]


class TestUnusableRequests:
    @pytest.mark.parametrize("body", [b"{not json", b'{"batch_size": 0}', b'{"tickers": [" A"]}'])
    async def test_a_malformed_request_is_dead_lettered_with_its_bytes(
        self, lister: ListerUnderTest, body: bytes
    ) -> None:
        """The original bytes go to the .dlq twin with the reason; the run (named by its Kafka
        coordinates) is recorded rejected with the same reason, so `status` shows it."""
        await deliver(lister, body)

        [dead] = lister.dlq.messages
        reason = dead.headers["x-dead-letter-reason"]
        run = lister.repo.runs["20240708-143000-p0o0"]
        assert (body, topics.RUN_REQUESTS) == (dead.body, dead.headers["x-original-topic"])
        assert reason.startswith("invalid RunRequest")
        assert (RunStatus.REJECTED, reason) == (run.status, run.reason)

    async def test_from_after_to_is_dead_lettered(self, lister: ListerUnderTest) -> None:
        """A valid but unrunnable range is dead-lettered, saying why."""
        body = b'{"from": "2024-02-01", "to": "2024-01-01"}'

        await deliver(lister, body)

        [dead] = lister.dlq.messages
        assert (body, "invalid RunRequest: from 2024-02-01 is after to 2024-01-01") == (
            dead.body,
            dead.headers["x-dead-letter-reason"],
        )
        run = lister.repo.runs["20240708-143000-p0o0"]
        assert (RunStatus.REJECTED, "from 2024-02-01 is after to 2024-01-01") == (
            run.status,
            run.reason,
        )


class TestListingFails:
    async def test_a_failed_listing_ends_the_run_failed_and_says_so(self) -> None:
        """When Polygon cannot list tickers the run fails with the reason; nothing is fetched,
        and the failure's run event waits in the outbox (written with the failure) for the
        relay, rather than being published after the commit."""
        broker = KafkaBroker()
        api = FakePolygonClient(LISTING, listing_error=PolygonGaveUp("HTTP 503", attempts=6))
        under_test = lister_on(broker, api, FakeRunRepository())
        repo, batches, events = under_test.repo, under_test.batches, under_test.events

        async with TestKafkaBroker(broker) as br:
            await br.publish(REQUEST, topic=topics.RUN_REQUESTS)

        [sent] = repo.outbox
        event = orjson.loads(sent.payload)
        assert (RunStatus.FAILED, [], []) == (
            repo.runs["r1"].status,
            batches.messages,
            events.messages,
        )
        assert ("r1/finished", topics.RUN_EVENTS, "r1", "finished", "failed") == (
            sent.message_id,
            sent.topic,
            sent.key,
            event["kind"],
            event["status"],
        )
        assert "listing tickers failed" in (repo.runs["r1"].reason or "")
        assert repo.runs["r1"].reason == event["detail"]

    async def test_a_failed_listing_records_its_requests_by_status(self) -> None:
        """The listing given up on 503s: the run keeps that request and its status."""
        broker = KafkaBroker()
        gave_up = PolygonGaveUp("HTTP 503", status=503, attempts=6)
        under_test = lister_on(
            broker, FakePolygonClient(LISTING, listing_error=gave_up), FakeRunRepository()
        )

        async with TestKafkaBroker(broker) as br:
            await br.publish(REQUEST, topic=topics.RUN_REQUESTS)

        run = under_test.repo.runs["r1"]
        assert (RunStatus.FAILED, 1, {"503": 1}) == (run.status, run.api_requests, run.api_statuses)

    async def test_a_redelivered_failed_request_adds_no_second_event(self) -> None:
        """The request delivered again after its listing failed: the run stays failed and the
        outbox holds its one event."""
        broker = KafkaBroker()
        api = FakePolygonClient(LISTING, listing_error=PolygonGaveUp("HTTP 503", attempts=6))
        under_test = lister_on(broker, api, FakeRunRepository())

        async with TestKafkaBroker(broker) as br:
            for _ in range(2):
                await br.publish(REQUEST, topic=topics.RUN_REQUESTS, timestamp_ms=SENT_MS)

        assert (RunStatus.FAILED, 1) == (
            under_test.repo.runs["r1"].status,
            len(under_test.repo.outbox),
        )
