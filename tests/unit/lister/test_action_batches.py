"""The lister's corporate-action batches on the in-memory broker: one splits and one dividends
batch per run with tickers, from the stored watermarks less the lookback, counted in the total."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker

from services.lister.corporate_actions import Coverage
from shared.db.control import WHOLE_MARKET
from tests.fakes.lister import FakeRunRepository
from tests.fakes.polygon import FakePolygonClient

from .test_handlers import INCREMENTAL, ListerUnderTest, deliver, lister_on, ref

pytestmark = pytest.mark.unit


async def run(body: bytes, repo: FakeRunRepository, lookback_days: int = 30) -> ListerUnderTest:
    broker = KafkaBroker()
    api = FakePolygonClient([ref("AAPL"), ref("MSFT"), ref("NEWCO")])
    under_test = lister_on(
        broker, api, repo, date(2024, 1, 2), actions_lookback=timedelta(days=lookback_days)
    )
    async with TestKafkaBroker(broker):
        await deliver(under_test, body)
    return under_test


class TestActionBatches:
    async def test_an_incremental_run_reads_each_kind_from_its_watermark_less_the_lookback(
        self,
    ) -> None:
        """Splits read through 5 July by the whole market, dividends through 1 July ticker by
        ticker, both from the tickers' first bars: splits from 25 June, dividends from 21 June
        (ten days' lookback), both through the run's end, of the whole market."""
        tickers = ["AAPL", "MSFT", "NEWCO"]
        first = date(2024, 1, 2)
        repo = FakeRunRepository(
            watermarks=dict.fromkeys(tickers, date(2024, 7, 3)),
            action_marks={
                "splits": {WHOLE_MARKET: Coverage(first, date(2024, 7, 5))},
                "dividends": dict.fromkeys(tickers, Coverage(first, date(2024, 7, 1))),
            },
            first_dates=dict.fromkeys(tickers, first),
        )

        lister = await run(INCREMENTAL, repo, lookback_days=10)

        assert [
            ("splits", [], "2024-06-25", "2024-07-05"),
            ("dividends", [], "2024-06-21", "2024-07-05"),
        ] == [(c["actions"], c["tickers"], c["from"], c["to"]) for c in lister.action_commands()]

    async def test_a_ticker_never_loaded_reads_its_events_from_its_history_start(self) -> None:
        """NEWCO has neither bars nor events yet: both kinds from the history start, as its
        bars, so its adjusted history is complete."""
        marks = {"AAPL": date(2024, 7, 3), "MSFT": date(2024, 7, 3)}
        read = {t: Coverage(date(2023, 1, 3), d) for t, d in marks.items()}
        repo = FakeRunRepository(
            watermarks=marks,
            action_marks={"splits": dict(read), "dividends": dict(read)},
            first_dates=dict.fromkeys(marks, date(2023, 1, 3)),
        )

        lister = await run(INCREMENTAL, repo, lookback_days=10)

        assert ["2024-01-02", "2024-01-02"] == [c["from"] for c in lister.action_commands()]

    async def test_bars_older_than_what_was_read_are_read_again(self) -> None:
        """AAPL's bars go back to 2020, but its splits were read only from 2024 (its first read
        failed): splits from 2020 again; dividends, read from 2020, from the lookback."""
        first = date(2020, 1, 2)
        repo = FakeRunRepository(
            watermarks={"AAPL": date(2024, 7, 3)},
            action_marks={
                "splits": {"AAPL": Coverage(date(2024, 1, 2), date(2024, 7, 3))},
                "dividends": {"AAPL": Coverage(first, date(2024, 7, 3))},
            },
            first_dates={"AAPL": first},
        )
        body = b'{"run_id": "r5", "to": "2024-07-05", "tickers": ["AAPL"]}'

        lister = await run(body, repo, lookback_days=10)

        assert ["2020-01-02", "2024-06-23"] == [c["from"] for c in lister.action_commands()]

    async def test_requested_tickers_are_named_in_the_batches(self) -> None:
        """A run of named tickers reads their events only, and names them for the watermark."""
        body = b'{"run_id": "r2", "to": "2024-07-05", "tickers": ["MSFT", "AAPL"]}'

        lister = await run(body, FakeRunRepository())

        assert [["AAPL", "MSFT"], ["AAPL", "MSFT"]] == [
            c["tickers"] for c in lister.action_commands()
        ]

    async def test_the_total_counts_the_action_batches(self) -> None:
        """One range batch, splits, dividends and the listing: four in the event and the run."""
        body = b'{"run_id": "r3", "from": "2024-07-01", "to": "2024-07-05", "tickers": ["AAPL"]}'

        lister = await run(body, FakeRunRepository())

        [event] = lister.events.bodies()
        assert (4, 4, [4, 4, 4]) == (
            event["total_batches"],
            lister.repo.runs["r3"].total_batches,
            [c["total_batches"] for c in lister.fetch_commands()],
        )

    async def test_a_run_without_tickers_has_no_action_batch(self) -> None:
        """max_tickers=0: no bar, no corporate action, the listing alone."""
        lister = await run(
            b'{"run_id": "r4", "to": "2024-07-05", "max_tickers": 0}', FakeRunRepository()
        )

        [event] = lister.events.bodies()
        assert ([], 1) == (lister.fetch_commands(), event["total_batches"])
