"""Fuzz: stocks.ticker-batches into the real fetcher (real BatchRepository on Postgres; the
Polygon API and object store faked). Every command becomes one raw object the loader can read,
under its own key, or is dead-lettered before any API call, object or row."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from services.fetcher.handlers import build_router
from services.fetcher.repository import BatchRepository
from services.fetcher.service import Fetcher
from services.loader.core import parse_header
from shared.clients.polygon import DailyBar, PolygonNotEntitled
from shared.db.control import RunStatus
from shared.messages import FetchBatch, topics
from shared.messages.ids import ID_PATTERN
from shared.messages.raw_objects import object_key
from tests.fakes.kafka import INSTANT_RETRIES
from tests.fakes.polygon import FakePolygonClient
from tests.fakes.storage import FakeObjectStore

from .conftest import SEEDED_BATCHES, SEEDED_RUNS
from .rig import Db, Rig, dead_letter_reason, fuzz_settings, now, tally
from .strategies import (
    dates,
    huge_lists,
    ids,
    iso_dates,
    json_values,
    message_bodies,
    tickers,
)

pytestmark = pytest.mark.fuzz

T0 = 1112331600000  # 2005-04-01, midnight in New York


def _bars(ticker: str) -> list[DailyBar]:
    return [
        DailyBar(
            ticker=ticker,
            trading_date=date(2005, 4, 1 + i),
            open=10.0,
            high=11.0,
            low=9.0,
            close=10.5,
            volume=1000.0,
            t_ms=T0 + i * 86_400_000,
            adjusted=False,
        )
        for i in range(4)
    ]


EVENTS: dict[str, list[dict[str, Any]]] = {
    "splits": [
        {"id": "S1", "ticker": "AAPL", "execution_date": "2005-04-02", "split_from": 1,
         "split_to": 2},
        {"id": "S2", "ticker": "MSFT", "execution_date": "2005-04-03", "split_from": 0},
    ],
    "dividends": [
        {"id": "D1", "ticker": "AAPL", "ex_dividend_date": "2005-04-02", "cash_amount": 0.5},
        {"id": "D2", "ticker": "\x00", "ex_dividend_date": "not a date", "cash_amount": "x"},
    ],
}  # fmt: skip
NAMES = ["AAPL", "BRK.A", "KIMpL", "MSFT"]
RUNS = st.sampled_from(sorted(SEEDED_RUNS)) | st.from_regex(ID_PATTERN, fullmatch=True)
BATCHES = st.sampled_from(SEEDED_BATCHES) | st.from_regex(ID_PATTERN, fullmatch=True)


@st.composite
def valid_batches(draw: st.DrawFn) -> dict[str, object]:
    run_id, batch_id = draw(RUNS), draw(BATCHES)
    batch: dict[str, object] = {
        "run_id": run_id,
        "message_id": f"{run_id}/{batch_id}",
        "batch_id": batch_id,
        "seq": draw(st.integers(0, 10)),
        "total_batches": draw(st.integers(0, 10)),
        "tickers": draw(st.lists(st.sampled_from(NAMES), max_size=4)),
        "from": draw(st.sampled_from(["2005-04-01", "2005-04-02"]) | iso_dates),
        "to": draw(st.sampled_from(["2005-04-04"]) | iso_dates),
    }
    shape = draw(st.sampled_from(["range", "grouped", "actions"]))
    if shape == "grouped":
        batch["days"] = draw(st.lists(iso_dates | st.just("2005-04-01"), max_size=5))
    elif shape == "actions":
        batch["actions"] = draw(st.sampled_from(["splits", "dividends"]))
    if draw(st.booleans()):
        batch["starts"] = draw(st.dictionaries(st.sampled_from(NAMES), iso_dates, max_size=3))
    return batch


FIELDS = {
    "run_id": ids,
    "message_id": ids,
    "batch_id": ids,
    "seq": st.one_of(st.integers(), json_values),
    "total_batches": st.one_of(st.integers(), json_values),
    "tickers": st.one_of(st.lists(tickers, max_size=5), huge_lists("T"), json_values),
    "days": st.one_of(st.lists(dates, max_size=5), json_values),
    "starts": st.one_of(st.dictionaries(st.text(max_size=40), dates, max_size=3), json_values),
    "actions": st.one_of(st.text(max_size=12), json_values),
    "from": dates,
    "to": dates,
    "adjusted": json_values,
    "produced_at": st.one_of(dates, json_values),
    "schema_version": json_values,
}


@pytest.fixture(scope="module")
async def fetcher(db: Db) -> AsyncIterator[tuple[Rig, FakeObjectStore]]:
    broker = KafkaBroker()
    api = FakePolygonClient(
        bars={t: _bars(t) for t in ("AAPL", "BRK.A")},
        errors={"MSFT": PolygonNotEntitled("not entitled", status=403)},
        events=EVENTS,
    )
    store = FakeObjectStore()
    service = Fetcher(api, store, BatchRepository(db.ingest), "raw/", 4)
    broker.include_router(build_router(broker, service, INSTANT_RETRIES))
    rig = Rig(
        broker,
        topics.TICKER_BATCHES,
        db,
        (),
        side_effects=lambda: (api.requests_made, len(store.puts)),
    )
    async with TestKafkaBroker(broker):
        yield rig, store


def _parsed(body: bytes) -> FetchBatch | None:
    try:
        return FetchBatch.model_validate_json(body)
    except ValidationError:
        return None


async def _registered(rig: Rig, batch: FetchBatch) -> str | None:
    """The batch's row's object key ('' before it is fetched), or None when no row exists."""
    key: str | None = await rig.db.checks.fetchval(
        "select coalesce(object_key, '') from control.batches where run_id = $1 and batch_id = $2",
        batch.run_id,
        batch.batch_id,
    )
    return key


async def _wanted(rig: Rig, batch: FetchBatch) -> bool:
    """What the fetcher may fetch: a batch the lister listed and nobody fetched yet, of a run
    still running. A registered row can be neither (the lister's own `tickers` record is not
    listed for fetching; a fetched batch has its object)."""
    found = await rig.db.checks.fetchval(
        "select b.listed and b.fetched_at is null and r.status = $3"
        " from control.batches b join control.runs r using (run_id)"
        " where b.run_id = $1 and b.batch_id = $2",
        batch.run_id,
        batch.batch_id,
        RunStatus.RUNNING.value,
    )
    return bool(found)


class TestEveryBatchIsFetchedOrDeadLettered:
    @fuzz_settings(examples=250)
    @given(body=message_bodies(valid_batches(), FIELDS))
    async def test_hostile_ticker_batches(
        self, fetcher: tuple[Rig, FakeObjectStore], body: bytes
    ) -> None:
        """No command escapes the handler; one that does not parse is dead-lettered as invalid
        before any API call; one that is processed leaves an object under its own key whose
        header the loader reads as this run's batch, recorded on its registered batch row; one
        the lister never registered is skipped, with no object written."""
        (rig, store), started, batch = fetcher, now(), _parsed(body)
        registered = batch is not None and await _registered(rig, batch) is not None
        wanted = registered and batch is not None and await _wanted(rig, batch)
        objects_before = dict(store.objects)

        d = await rig.deliver(body)

        reason = dead_letter_reason(d)
        if batch is None:
            assert reason is not None and reason.startswith("invalid FetchBatch: "), reason
        if reason is None and not wanted:
            # Skipped: a batch the lister never listed, or of a run not running, costs nothing.
            assert objects_before == store.objects
            why = (
                "not listed and unfetched, or a run not running"
                if registered
                else "a batch the lister never registered"
            )
            tally(d, f"processed: skipped ({why})", started)
            return
        if reason is None:
            assert batch is not None
            key = object_key("raw/", batch.run_id, batch.batch_id)
            head = parse_header(store.objects[key].split(b"\n", 1)[0])
            assert (batch.run_id, batch.batch_id) == (head.run_id, head.batch_id)
            recorded = await _registered(rig, batch)
            assert (key if registered else None) == (recorded or None)
            done = "registered batch" if registered else "batch the lister never registered"
            tally(d, f"processed: object stored ({done})", started)
            return
        tally(d, "", started)
