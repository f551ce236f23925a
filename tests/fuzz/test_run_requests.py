"""Fuzz: stocks.run-requests into the real lister (real RunRepository on Postgres; the Polygon
API and object store faked). Every request is listed and left running, or dead-lettered before
any row, object, API call or publish; the lister publishes only commands the fetcher accepts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from services.lister.handlers import build_router
from services.lister.repository import RunRepository
from services.lister.service import Lister
from shared.clients.polygon import TickerRef
from shared.db.control import RunStatus
from shared.messages import FetchBatch, RunEvent, RunRequest, topics
from shared.messages.ids import ID_PATTERN
from tests.fakes.kafka import INSTANT_RETRIES
from tests.fakes.polygon import FakePolygonClient
from tests.fakes.storage import FakeObjectStore

from .rig import Db, Rig, dead_letter_reason, fuzz_settings, now, tally
from .strategies import dates, huge_lists, ids, iso_dates, json_values, message_bodies, tickers

pytestmark = pytest.mark.fuzz


def _ref(ticker: str) -> TickerRef:
    raw = {"ticker": ticker, "name": ticker, "market": "stocks", "locale": "us", "active": True}
    return TickerRef.model_validate({**raw, "raw": raw})


UNIVERSE = [_ref(t) for t in ("AAPL", "BRK.A", "KIMpL", "MSFT")]

VALID = st.fixed_dictionaries(
    {"run_id": st.from_regex(ID_PATTERN, fullmatch=True)},
    optional={
        "from": iso_dates,
        "to": iso_dates,
        "tickers": st.lists(st.sampled_from([r.ticker for r in UNIVERSE] + ["ZZZZ"]), max_size=5),
        "max_tickers": st.integers(0, 10),
        "batch_size": st.integers(1, 1000),
        "plan": st.sampled_from(["auto", "per_ticker", "grouped_daily"]),
        "adjusted": st.just(False),
    },
)
FIELDS = {
    "run_id": ids,
    "from": dates,
    "to": dates,
    "tickers": st.one_of(st.lists(tickers, max_size=5), huge_lists("T"), json_values),
    "max_tickers": st.one_of(st.integers(), json_values),
    "batch_size": st.one_of(st.integers(), st.sampled_from([0, 1000, 1001]), json_values),
    "plan": st.one_of(st.text(max_size=20), json_values),
    "adjusted": json_values,
}


@pytest.fixture(scope="module")
async def lister(db: Db) -> AsyncIterator[Rig]:
    broker = KafkaBroker()
    api, store = FakePolygonClient(UNIVERSE), FakeObjectStore()
    repo = RunRepository(db.ingest)
    service = Lister(
        api,
        store,
        repo,
        broker,
        raw_prefix="raw/",
        include_delisted=False,
        history_start=date(2024, 1, 2),
        days_per_batch=60,
        actions_lookback=timedelta(days=30),
    )
    broker.include_router(build_router(broker, service, INSTANT_RETRIES))
    rig = Rig(
        broker,
        topics.RUN_REQUESTS,
        db,
        (topics.TICKER_BATCHES, topics.RUN_EVENTS),
        side_effects=lambda: (api.requests_made, len(store.puts)),
    )
    async with TestKafkaBroker(broker):
        yield rig


def _parsed(body: bytes) -> RunRequest | None:
    try:
        return RunRequest.model_validate_json(body)
    except ValidationError:
        return None


class TestEveryRunRequestIsListedOrDeadLettered:
    @fuzz_settings(examples=120)
    @given(body=message_bodies(VALID, FIELDS))
    async def test_hostile_run_requests(self, lister: Rig, body: bytes) -> None:
        """No request escapes the handler; one that does not parse is dead-lettered as invalid;
        one that is processed leaves its run past `listing`, and every command and event it
        published is one its consumers accept."""
        started, request = now(), _parsed(body)

        d = await lister.deliver(body)

        # A refused request is recorded as a rejected run (issue #16): that, and nothing else
        # (the e2e tier checks the record and its reason; here run ids repeat across inputs).
        reason = dead_letter_reason(d, recorded_in=frozenset({"control.runs", "control.outbox"}))
        if request is None:
            assert reason is not None and reason.startswith("invalid RunRequest: "), reason
        if reason is None:
            listing = await lister.db.checks.fetchval(
                "select count(*) from control.runs where status = $1", RunStatus.LISTING
            )
            assert 0 == listing, "a run was left listing"
            for sent in d.published[topics.TICKER_BATCHES]:
                FetchBatch.model_validate_json(sent.body)
            for sent in d.published[topics.RUN_EVENTS]:
                RunEvent.model_validate_json(sent.body)
        if reason is None and request is not None and request.run_id is not None:
            status = await lister.db.checks.fetchval(
                "select status from control.runs where run_id = $1", request.run_id
            )
            assert status in ("running", "failed", "rejected"), status
        tally(d, "processed: run listed (or republished)", started)
