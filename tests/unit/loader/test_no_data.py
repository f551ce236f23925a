"""A ticker the user named whose range answer held no bar is recorded for the run as no_data;
in a run of the listing an empty answer is nothing to report."""

from __future__ import annotations

from datetime import date

import pytest
from faststream.kafka import KafkaBroker

from services.loader.service import Loader
from shared.messages.raw_objects import ObjectHeader, TickerBars, encode_object
from tests.fakes.loader import FakeRawRepository
from tests.fakes.storage import FakeObjectStore

from .test_handlers import BAR, BUCKET, KEY

pytestmark = pytest.mark.unit


def ranges() -> bytes:
    head = ObjectHeader(
        kind="daily_bars",
        run_id="r1",
        batch_id="b00000",
        source="aggs_range",
        from_=date(2024, 1, 2),
        to=date(2024, 3, 28),
        items=2,
    )
    return encode_object(head, [TickerBars(ticker="AAPL", bars=[BAR]), TickerBars(ticker="QUIET")])


async def loaded(repo: FakeRawRepository, body: bytes) -> int:
    store = FakeObjectStore()
    store.objects[KEY] = body
    loader = Loader(store, repo, KafkaBroker(), BUCKET, "raw/")  # load() publishes nothing
    return (await loader.load(KEY)).tickers_failed


class TestNoData:
    async def test_a_named_ticker_without_bars_is_no_data(self) -> None:
        """QUIET was named and answered empty: no_data, with the range, counted as failed."""
        repo = FakeRawRepository(runs={"r1"}, named={"r1": ["AAPL", "QUIET"]})

        failed = await loaded(repo, ranges())

        assert 1 == failed
        assert {
            ("r1", "QUIET"): ("b00000", "no_data", "no bars from 2024-01-02 to 2024-03-28")
        } == (repo.ticker_errors)

    async def test_a_listing_run_says_nothing_of_an_empty_answer(self) -> None:
        """The run named no tickers: an empty range is a ticker listed later, or a quiet one."""
        repo = FakeRawRepository(runs={"r1"})

        assert 0 == await loaded(repo, ranges())
        assert {} == repo.ticker_errors
