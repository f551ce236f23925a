"""A run of named tickers, through the lister's subscriber over fakes: no universe listing, a
name Polygon does not know recorded as not_found and never fetched, and no splits or dividends
read when they were read through the run's end just now."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker

from services.lister.corporate_actions import Coverage
from services.lister.handlers import build_router
from services.lister.service import Lister
from shared.db.control import WHOLE_MARKET
from shared.messages import topics
from shared.messages.raw_objects import object_key
from tests.fakes.kafka import INSTANT_RETRIES, TopicRecorder
from tests.fakes.lister import FakeRunRepository
from tests.fakes.polygon import FakePolygonClient
from tests.fakes.storage import FakeObjectStore

from .test_handlers import LISTING, SENT_MS, ref

pytestmark = pytest.mark.unit

NAMED = b'{"run_id": "n1", "from": "2024-01-02", "to": "2024-03-28", "tickers": %s}'


async def listed(
    repo: FakeRunRepository, tickers: list[str], fresh_for: timedelta = timedelta(0)
) -> tuple[FakePolygonClient, FakeObjectStore, list[dict[str, Any]]]:
    broker, api, store = KafkaBroker(), FakePolygonClient(LISTING), FakeObjectStore()
    lister = Lister(
        api,
        store,
        repo,
        broker,
        raw_prefix="raw/",
        include_delisted=True,
        history_start=date(2015, 1, 2),
        days_per_batch=5,
        actions_lookback=timedelta(days=30),
        actions_fresh_for=fresh_for,
    )
    broker.include_router(build_router(broker, lister, INSTANT_RETRIES))
    batches = TopicRecorder(broker, topics.TICKER_BATCHES)
    async with TestKafkaBroker(broker):
        body = NAMED % orjson.dumps(tickers)
        await broker.publish(body, topic=topics.RUN_REQUESTS, timestamp_ms=SENT_MS)
    return api, store, batches.bodies()


class TestNamedTickers:
    async def test_stored_names_cost_no_listing_request(self) -> None:
        """Both names are in raw.tickers: no reference request; the listing object holds no
        row (nothing new was asked for); one range batch."""
        repo = FakeRunRepository()
        repo.refs = {"AAPL": ref("AAPL"), "MSFT": ref("MSFT")}

        api, store, commands = await listed(repo, ["MSFT", "AAPL"])

        header = orjson.loads(store.objects[object_key("raw/", "n1", "tickers")].split(b"\n")[0])
        assert (0, 0) == (api.requests_made, header["items"])
        assert [["AAPL", "MSFT"]] == [c["tickers"] for c in commands if c["actions"] is None]

    async def test_a_new_name_is_looked_up_alone_and_stored(self) -> None:
        """KIMpL never stored: one exact request, its row in the listing object."""
        repo = FakeRunRepository()
        repo.refs = {"AAPL": ref("AAPL")}

        api, store, _ = await listed(repo, ["AAPL", "KIMpL"])

        lines = store.objects[object_key("raw/", "n1", "tickers")].split(b"\n")
        assert 1 == api.requests_made
        assert ["KIMpL"] == [orjson.loads(x)["ticker"] for x in lines[1:] if x]

    async def test_an_unknown_name_is_not_found_and_not_fetched(self) -> None:
        """NOPE is neither listed nor delisted: recorded not_found for the run, left out of
        the batches, still counted among the run's tickers."""
        repo = FakeRunRepository()
        repo.refs = {"AAPL": ref("AAPL")}

        api, _, commands = await listed(repo, ["AAPL", "NOPE"])

        assert 2 == api.requests_made  # listed, then delisted
        assert ["not_found"] == [kind for (kind, _) in repo.ticker_errors.values()]
        assert [("n1", "NOPE")] == list(repo.ticker_errors)
        assert [["AAPL"]] == [c["tickers"] for c in commands if c["actions"] is None]
        assert 2 == repo.runs["n1"].tickers_total


class TestFreshCorporateActions:
    async def test_read_through_the_end_just_now_is_not_read_again(self) -> None:
        """The whole market's events were read through 28 March a minute ago: no splits or
        dividends batch, and the run's total says so (listing + one range batch)."""
        now = datetime.now(UTC)
        cover = Coverage(date(2024, 1, 2), date(2024, 3, 28), now - timedelta(minutes=1))
        repo = FakeRunRepository(
            action_marks={k: {WHOLE_MARKET: cover} for k in ("splits", "dividends")}
        )
        repo.refs = {"AAPL": ref("AAPL")}

        _, _, commands = await listed(repo, ["AAPL"], fresh_for=timedelta(hours=12))

        assert [] == [c for c in commands if c["actions"] is not None]
        assert 2 == repo.runs["n1"].total_batches

    async def test_without_fresh_for_the_window_is_read_every_run(self) -> None:
        """fresh_for 0: the same coverage is re-read (the lookback)."""
        now = datetime.now(UTC)
        cover = Coverage(date(2024, 1, 2), date(2024, 3, 28), now - timedelta(minutes=1))
        repo = FakeRunRepository(
            action_marks={k: {WHOLE_MARKET: cover} for k in ("splits", "dividends")}
        )
        repo.refs = {"AAPL": ref("AAPL")}

        _, _, commands = await listed(repo, ["AAPL"])

        assert ["splits", "dividends"] == [c["actions"] for c in commands if c["actions"]]
