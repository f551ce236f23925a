"""The fetcher's corporate-action batches: one object of the batch's kind holding the events as
sent (market-wide, or one query per ticker for a few), or the error in its header."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import orjson
import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker

from services.fetcher.core import action_header, kept_events, per_ticker_actions
from shared.clients.polygon import PolygonGaveUp, PolygonNotEntitled
from shared.fetch_plan import PER_TICKER_ACTIONS_MAX
from shared.messages import FetchBatch, topics
from shared.messages.raw_objects import TickerError
from tests.fakes.fetcher import FakeBatchRepository
from tests.fakes.storage import FakeObjectStore

from .test_handlers import Fetcher, fetcher_on

pytestmark = pytest.mark.unit

JUNE = (date(2024, 6, 1), date(2024, 6, 30))
SPLITS = [
    {"id": "S1", "ticker": "AAPL", "execution_date": "2024-06-10", "split_from": 1, "split_to": 4},
    {"id": "S2", "ticker": "MSFT", "execution_date": "2024-06-12", "split_from": 1, "split_to": 2},
    {"id": "S3", "ticker": "NVDA", "execution_date": "2024-06-10", "split_from": 1, "split_to": 10},
    # Odd values are kept as sent: judging them is the loader's job.
    {"id": "S4", "ticker": "AAPL", "execution_date": "2024-06-20", "split_from": 0, "extra": [1]},
]
DIVIDEND = {"id": "D1", "ticker": "MSFT", "ex_dividend_date": "2024-06-14", "cash_amount": 0.75}
SIX = ["AAPL", "AMZN", "GOOG", "META", "MSFT", "TSLA"]


def action_batch(kind: str = "splits", tickers: list[str] | None = None) -> FetchBatch:
    return FetchBatch.model_validate(
        {
            "run_id": "r1",
            "message_id": f"r1/{kind}/fetch",
            "batch_id": kind,
            "seq": 3,
            "total_batches": 6,
            "tickers": tickers or [],
            "actions": kind,
            "from": JUNE[0].isoformat(),
            "to": JUNE[1].isoformat(),
        }
    )


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    broker = KafkaBroker()
    fetcher = fetcher_on(broker, FakeObjectStore())
    fetcher.api.events = {"splits": SPLITS, "dividends": [DIVIDEND]}
    async with TestKafkaBroker(broker):
        yield fetcher


async def deliver(fetcher: Fetcher, batch: FetchBatch) -> list[bytes]:
    """Publish the batch; the lines of the object it wrote."""
    await fetcher.broker.publish(batch, topic=topics.TICKER_BATCHES, key=b"r1/splits")
    return fetcher.store.objects[f"raw/polygon/r1/{batch.batch_id}.jsonl"].splitlines()


class TestMarketWide:
    async def test_a_whole_market_batch_writes_every_event_as_sent(self, fetcher: Fetcher) -> None:
        """One market query of the batch's range; the object of its kind holds each event's
        own JSON, odd values and unknown keys included, and no bar is asked for."""
        lines = await deliver(fetcher, action_batch())

        assert (
            [orjson.dumps(e) for e in SPLITS],
            [("splits", *JUNE, None)],
            ([], []),
        ) == (
            lines[1:],
            fetcher.api.action_calls,
            (fetcher.api.bar_calls, fetcher.api.grouped_calls),
        )

    async def test_the_header_names_the_kind_the_source_and_the_whole_market(
        self, fetcher: Fetcher
    ) -> None:
        """Header: kind and source of the batch's kind, its range, the count, no tickers (the
        whole market, so the loader moves the '*' watermark) and no error."""
        lines = await deliver(fetcher, action_batch())

        head = orjson.loads(lines[0])
        expected = ("splits", "reference_splits", "splits", "2024-06-01", "2024-06-30", 4)
        assert (expected, None, None) == (
            (head["kind"], head["source"], head["batch_id"], head["from"], head["to"],
             head["items"]),
            head["tickers"],
            head["error"],
        )  # fmt: skip

    async def test_more_than_five_tickers_read_the_market_and_keep_theirs(
        self, fetcher: Fetcher
    ) -> None:
        """Six tickers: one market query, and only those tickers' events are kept (NVDA's
        split is not theirs); the header names them."""
        lines = await deliver(fetcher, action_batch(tickers=SIX))

        assert (["S1", "S2", "S4"], [("splits", *JUNE, None)], SIX) == (
            [orjson.loads(x)["id"] for x in lines[1:]],
            fetcher.api.action_calls,
            orjson.loads(lines[0])["tickers"],
        )

    async def test_a_dividends_batch_writes_a_dividends_object(self, fetcher: Fetcher) -> None:
        """The dividends kind: its own key, kind, source and events."""
        lines = await deliver(fetcher, action_batch("dividends"))

        head = orjson.loads(lines[0])
        assert (("dividends", "reference_dividends"), [DIVIDEND]) == (
            (head["kind"], head["source"]),
            [orjson.loads(x) for x in lines[1:]],
        )


class TestPerTicker:
    async def test_a_few_tickers_are_one_filtered_query_each(self, fetcher: Fetcher) -> None:
        """Two tickers: one query per ticker over the batch's range, their events in order."""
        lines = await deliver(fetcher, action_batch(tickers=["MSFT", "NVDA"]))

        assert ([("splits", *JUNE, "MSFT"), ("splits", *JUNE, "NVDA")], ["S2", "S3"]) == (
            fetcher.api.action_calls,
            [orjson.loads(x)["id"] for x in lines[1:]],
        )

    def test_up_to_five_tickers_are_read_one_by_one_and_none_is_the_market(self) -> None:
        """Five tickers cost at most five requests; six or the whole market read the market."""
        counts = [0, 1, PER_TICKER_ACTIONS_MAX, PER_TICKER_ACTIONS_MAX + 1]

        chosen = [per_ticker_actions(action_batch(tickers=SIX[:n])) for n in counts]

        assert [False, True, True, False] == chosen


class TestRequestsAndErrors:
    async def test_the_batch_is_marked_fetched_with_the_requests_made(self) -> None:
        """Four events in pages of two: two requests, in the header and in control.batches."""
        broker = KafkaBroker()
        fetcher = fetcher_on(broker, FakeObjectStore())
        fetcher.api.events, fetcher.api.events_page_size = {"splits": SPLITS}, 2

        async with TestKafkaBroker(broker):
            lines = await deliver(fetcher, action_batch())

        assert ({("r1", "splits"): ("raw/polygon/r1/splits.jsonl", 2)}, 2, {"200": 2}) == (
            fetcher.batches.fetched,
            orjson.loads(lines[0])["api_requests"],
            fetcher.batches.statuses[("r1", "splits")],
        )

    async def test_an_api_error_is_recorded_in_the_header_not_raised(self) -> None:
        """The API gave up: an object with no event and the error in its header, marked
        fetched, nothing dead-lettered, so the run names the failure."""
        broker = KafkaBroker()
        fetcher = fetcher_on(broker, FakeObjectStore())
        fetcher.api.events_error = PolygonGaveUp("HTTP 503", status=503, attempts=7)

        async with TestKafkaBroker(broker):
            lines = await deliver(fetcher, action_batch())

        head = orjson.loads(lines[0])
        assert (1, 0, "gave_up", 1, []) == (
            len(lines),
            head["items"],
            head["error"]["kind"],
            fetcher.batches.marks,
            fetcher.dlq.messages,
        )

    async def test_an_error_after_the_first_page_writes_no_event_of_the_range(self) -> None:
        """Events stream into the object page by page; the API gave up on page two. The
        object holds none of page one's events, only the error: a partial range must not look
        complete (the loader would load it and move the kind's watermark past the rest)."""
        broker = KafkaBroker()
        fetcher = fetcher_on(broker, FakeObjectStore())
        fetcher.api.events, fetcher.api.events_page_size = {"splits": SPLITS}, 2
        fetcher.api.events_error = PolygonGaveUp("HTTP 503", status=503, attempts=7)
        fetcher.api.events_error_after_pages = 1

        async with TestKafkaBroker(broker):
            lines = await deliver(fetcher, action_batch())

        head = orjson.loads(lines[0])
        assert (1, 0, "gave_up", 2, {"200": 1, "503": 1}) == (
            len(lines),
            head["items"],
            head["error"]["kind"],
            head["api_requests"],
            fetcher.batches.statuses[("r1", "splits")],
        )

    async def test_a_batch_fetched_again_overwrites_the_same_object(self) -> None:
        """Fetched again while control still wants it: the same key with the same bytes."""
        broker = KafkaBroker()
        fetcher = fetcher_on(broker, FakeObjectStore(), batches=FakeBatchRepository(refetch=True))
        fetcher.api.events = {"splits": SPLITS, "dividends": [DIVIDEND]}

        async with TestKafkaBroker(broker):
            await deliver(fetcher, action_batch())
            objects = dict(fetcher.store.objects)
            await deliver(fetcher, action_batch())

        key = "raw/polygon/r1/splits.jsonl"
        assert (objects, [key, key]) == (fetcher.store.objects, fetcher.store.puts)


class TestCore:
    def test_kept_events_are_the_tickers_own_or_all_for_the_market(self) -> None:
        """Named tickers filter the market's events; [] keeps every one, even without ticker."""
        events: list[dict[str, Any]] = [*SPLITS, {"id": "X"}]

        kept = [[e["id"] for e in kept_events(events, t)] for t in (["NVDA"], [])]

        assert [["S3"], ["S1", "S2", "S3", "S4", "X"]] == kept

    def test_the_header_carries_the_error_and_the_named_tickers(self) -> None:
        """A failed per-ticker batch: its tickers and error in the header, no items."""
        error = TickerError(kind="not_entitled", reason=str(PolygonNotEntitled("no", status=403)))

        head = action_header(action_batch("dividends", ["MSFT"]), 0, 1, error)

        assert ("dividends", "reference_dividends", ["MSFT"], error, False) == (
            head.kind,
            head.source,
            head.tickers,
            head.error,
            head.adjusted,
        )
