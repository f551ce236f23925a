"""The loader's subscriber on splits and dividends objects: valid events upserted by id, the
others in the rejected ledger, the kind's watermark moved, and the batch announced loaded."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker

from services.lister.corporate_actions import Coverage
from services.loader import service as loader_service
from services.loader.corporate_actions import event_rows
from services.loader.handlers import build_router
from services.loader.service import Loader as LoaderService
from shared.db.control import WHOLE_MARKET
from shared.messages import topics
from shared.messages.raw_objects import ObjectHeader, TickerError, encode_object
from tests.fakes.kafka import INSTANT_RETRIES, TopicRecorder
from tests.fakes.loader import FakeRawRepository
from tests.fakes.storage import FakeObjectStore

from .test_handlers import BUCKET, Loader, event

pytestmark = pytest.mark.unit

SPLITS_KEY = "raw/polygon/r1/splits.jsonl"
DIVIDENDS_KEY = "raw/polygon/r1/dividends.jsonl"
JUNE_30 = date(2024, 6, 30)
JUNE = Coverage(date(2024, 6, 1), JUNE_30)  # what an object of the header below covers
GOOD = {
    "id": "S1",
    "ticker": "AAPL",
    "execution_date": "2024-06-10",
    "split_from": 1,
    "split_to": 4,
}
ZERO = {"id": "S2", "ticker": "X", "execution_date": "2024-06-11", "split_from": 0, "split_to": 1}
DIVIDEND = {"id": "D1", "ticker": "MSFT", "ex_dividend_date": "2024-06-14", "cash_amount": 0.75}


def action_object(
    kind: str,
    events: list[Any],
    tickers: list[str] | None = None,
    error: TickerError | None = None,
) -> bytes:
    head = ObjectHeader(
        kind=kind,
        run_id="r1",
        batch_id=kind,
        source=f"reference_{kind}",
        from_=date(2024, 6, 1),
        to=JUNE_30,
        items=len(events),
        api_requests=1,
        tickers=tickers,
        error=error,
    )
    return encode_object(head, events)


@pytest.fixture
async def loader() -> AsyncIterator[Loader]:
    broker = KafkaBroker()
    store, repo = FakeObjectStore(), FakeRawRepository(runs={"r1"})
    broker.include_router(
        build_router(broker, LoaderService(store, repo, broker, BUCKET, "raw/"), INSTANT_RETRIES)
    )
    loaded = TopicRecorder(broker, topics.BATCH_LOADED)
    dlq = TopicRecorder(broker, topics.dlq(topics.RAW_OBJECT_EVENTS))
    store.objects[SPLITS_KEY] = action_object("splits", [GOOD, ZERO])
    async with TestKafkaBroker(broker):
        yield Loader(broker, store, repo, loaded, dlq)


class TestSplitsObject:
    async def test_valid_events_become_rows_and_the_others_rejections(self, loader: Loader) -> None:
        """S1 is a row of raw.stock_splits; S2 (split_from 0) is in the ledger as sent."""
        await loader.deliver(event(SPLITS_KEY))

        row = loader.repo.splits["S1"]
        assert (
            ("AAPL", date(2024, 6, 10), 1.0, 4.0, "r1", SPLITS_KEY),
            {("split", "S2", SPLITS_KEY): ("X", "split_from must be > 0: 0", ZERO)},
            [("splits", "r1", "splits", SPLITS_KEY)],
        ) == (
            (row["ticker"], row["execution_date"], row["split_from"], row["split_to"],
             row["run_id"], row["object_key"]),
            loader.repo.rejected,
            loader.repo.loads,
        )  # fmt: skip

    async def test_the_batch_is_announced_loaded_without_bars(self, loader: Loader) -> None:
        """BatchLoaded keyed run/batch: no bars, no failure."""
        await loader.deliver(event(SPLITS_KEY))

        [sent] = loader.loaded.messages
        body = sent.json()
        assert (b"r1/splits", "r1/splits/loaded", "splits", SPLITS_KEY, 0, 0) == (
            sent.key,
            body["message_id"],
            body["batch_id"],
            body["object_key"],
            body["bars_loaded"],
            body["tickers_failed"],
        )

    async def test_a_whole_market_object_moves_the_market_watermark(self, loader: Loader) -> None:
        """No tickers in the header: the kind was read over `from`..`to` for every ticker."""
        await loader.deliver(event(SPLITS_KEY))

        assert {("splits", WHOLE_MARKET): JUNE} == loader.repo.action_marks

    async def test_named_tickers_move_their_own_watermarks(self, loader: Loader) -> None:
        """A per-ticker batch moves each named ticker's watermark, not the market's."""
        loader.store.objects[SPLITS_KEY] = action_object("splits", [GOOD], ["AAPL", "MSFT"])

        await loader.deliver(event(SPLITS_KEY))

        assert {("splits", "AAPL"): JUNE, ("splits", "MSFT"): JUNE} == (loader.repo.action_marks)


class TestFailedFetch:
    async def test_a_header_error_counts_one_failure_and_moves_no_watermark(
        self, loader: Loader
    ) -> None:
        """The fetcher could not read the events: the run's ticker errors name the kind, the
        event says one failure, and the next run reads the same window again."""
        error = TickerError(kind="gave_up", reason="HTTP 503")
        loader.store.objects[SPLITS_KEY] = action_object("splits", [], error=error)

        await loader.deliver(event(SPLITS_KEY))

        assert ({("r1", "*splits"): ("splits", "gave_up", "HTTP 503")}, {}, 0, 1) == (
            loader.repo.ticker_errors,
            loader.repo.action_marks,
            loader.loaded.bodies()[0]["bars_loaded"],
            loader.loaded.bodies()[0]["tickers_failed"],
        )


class TestDividendsObject:
    async def test_a_dividends_object_fills_the_dividends_table(self, loader: Loader) -> None:
        """Dividends go to their own table, under their kind's watermark."""
        loader.store.objects[DIVIDENDS_KEY] = action_object("dividends", [DIVIDEND])

        await loader.deliver(event(DIVIDENDS_KEY))

        row = loader.repo.dividends["D1"]
        assert (("MSFT", 0.75, None), {}, {("dividends", WHOLE_MARKET): JUNE}) == (
            (row["ticker"], row["cash_amount"], row["currency"]),
            loader.repo.splits,
            loader.repo.action_marks,
        )

    async def test_the_event_loop_runs_on_while_a_big_object_parses(
        self, loader: Loader, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A whole-market range is parsed off the event loop. On it, a demo's 235,573 dividends
        (each load 25-28 s) starved the consumer's heartbeats: the group gave the partition to
        the other loader before the commit, and the two loaded the object in turn (66 loads). A
        task ticking on the loop goes on ticking while the events are parsed."""
        events = [{**DIVIDEND, "id": f"D{i}", "ticker": f"T{i % 5000}"} for i in range(60_000)]
        loader.store.objects[DIVIDENDS_KEY] = action_object("dividends", events)
        parsing: list[float] = []

        def timed_event_rows(*args: Any) -> Any:
            parsing.append(time.monotonic())
            try:
                return event_rows(*args)
            finally:
                parsing.append(time.monotonic())

        monkeypatch.setattr(loader_service, "event_rows", timed_event_rows)
        ticks = [time.monotonic()]

        async def tick() -> None:
            while True:
                await asyncio.sleep(0.002)
                ticks.append(time.monotonic())

        ticking = asyncio.create_task(tick())
        await loader.deliver(event(DIVIDENDS_KEY))
        ticking.cancel()

        began, ended = parsing
        # how often the loop ran within the parse (the fake's upsert after it runs on the loop:
        # the real repository's COPY awaits). Parsed on the loop: never. In a thread: every few
        # milliseconds the GIL allows, 0.3-1.5 s of parse. A count, not the longest stand-still
        # as a share of the parse: that share moved with the machine's load (0.06 in a quiet
        # run, 0.42 in CI's, where the parse took 0.49 s)
        ran = sum(began < t < ended for t in ticks)
        assert (60_000, []) == (len(loader.repo.dividends), loader.dlq.messages)
        assert ran >= 10, (ran, ended - began)


class TestHostileEvents:
    async def test_a_nul_in_an_event_is_stored_in_the_ledger_not_raised(
        self, loader: Loader
    ) -> None:
        """A NUL in a rejected event would make Postgres refuse the jsonb and the object be
        redelivered for ever; the ledger holds U+FFFD instead and the batch loads."""
        nul = {**GOOD, "id": "S3", "ticker": "AA\x00PL"}
        loader.store.objects[SPLITS_KEY] = action_object("splits", [GOOD, nul, "not an object"])

        await loader.deliver(event(SPLITS_KEY))

        payload = loader.repo.rejected[("split", "S3", SPLITS_KEY)][2]
        assert ("AA\ufffdPL", ["<line 4>"], [], 1) == (
            payload["ticker"],
            [eid for (_, eid, _) in loader.repo.rejected if eid.startswith("<")],
            loader.dlq.messages,
            len(loader.loaded.messages),
        )


class TestRedelivery:
    async def test_the_same_object_twice_leaves_the_same_state(self, loader: Loader) -> None:
        """A replay rewrites no row, adds no rejection and keeps the watermark."""
        await loader.deliver(event(SPLITS_KEY))
        state = (
            dict(loader.repo.splits),
            dict(loader.repo.rejected),
            dict(loader.repo.action_marks),
            dict(loader.repo.batches),
            loader.repo.rows_written,
        )

        await loader.deliver(event(SPLITS_KEY))

        assert state == (
            loader.repo.splits,
            loader.repo.rejected,
            loader.repo.action_marks,
            loader.repo.batches,
            loader.repo.rows_written,
        )

    async def test_a_corrected_event_updates_its_row_in_place(self, loader: Loader) -> None:
        """A later object with a vendor's correction of S1 rewrites that one row."""
        await loader.deliver(event(SPLITS_KEY))
        corrected = {**GOOD, "split_to": 5}
        loader.store.objects[SPLITS_KEY] = action_object("splits", [corrected])

        await loader.deliver(event(SPLITS_KEY))

        assert ([("S1", 5.0)], 2) == (
            [(i, r["split_to"]) for i, r in loader.repo.splits.items()],
            loader.repo.rows_written,
        )
