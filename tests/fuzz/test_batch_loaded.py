"""Fuzz: stocks.batch-loaded into the real transformer (real ControlRepository on Postgres as
the transform role; dbt faked). Every event is counted in its run's completion set with a
progress event out, or dead-lettered (unknown run, invalid) with nothing written."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from services.transformer.handlers import build_router
from services.transformer.repository import ControlRepository
from services.transformer.service import Transformer
from shared.messages import BatchLoaded, RunEvent, topics
from shared.messages.ids import ID_PATTERN
from tests.fakes.kafka import INSTANT_RETRIES
from tests.fakes.transformer import FakeDbtRunner

from .conftest import SEEDED_BATCHES, SEEDED_RUNS
from .rig import Db, Rig, dead_letter_reason, fuzz_settings, now, tally
from .strategies import dates, ids, json_values, message_bodies

pytestmark = pytest.mark.fuzz

RUNS = st.sampled_from(sorted(SEEDED_RUNS)) | st.from_regex(ID_PATTERN, fullmatch=True)
BATCHES = st.sampled_from(SEEDED_BATCHES) | st.from_regex(ID_PATTERN, fullmatch=True)


@st.composite
def valid_events(draw: st.DrawFn) -> dict[str, object]:
    run_id, batch_id = draw(RUNS), draw(BATCHES)
    return {
        "run_id": run_id,
        "message_id": f"{run_id}/{batch_id}/loaded",
        "batch_id": batch_id,
        "object_key": f"raw/polygon/{run_id}/{batch_id}.jsonl",
        "bars_loaded": draw(st.integers(0, 10**6)),
        "tickers_failed": draw(st.integers(0, 100)),
    }


FIELDS = {
    "run_id": ids,
    "message_id": ids,
    "batch_id": ids,
    "object_key": st.one_of(ids, st.text(), json_values),
    "bars_loaded": st.one_of(st.integers(), json_values),
    "tickers_failed": st.one_of(st.integers(), json_values),
    "produced_at": st.one_of(dates, json_values),
    "schema_version": json_values,
}


@pytest.fixture(scope="module")
async def transformer(db: Db) -> AsyncIterator[Rig]:
    broker = KafkaBroker()
    service = Transformer(ControlRepository(db.transform), FakeDbtRunner(), broker, 60.0)
    broker.include_router(build_router(broker, service, INSTANT_RETRIES))
    rig = Rig(broker, topics.BATCH_LOADED, db, (topics.RUN_EVENTS, topics.ALERTS))
    async with TestKafkaBroker(broker):
        yield rig


def _parsed(body: bytes) -> BatchLoaded | None:
    try:
        return BatchLoaded.model_validate_json(body)
    except ValidationError:
        return None


class TestEveryBatchLoadedIsCountedOrDeadLettered:
    @fuzz_settings(examples=200)
    @given(body=message_bodies(valid_events(), FIELDS))
    async def test_hostile_batch_loaded_events(self, transformer: Rig, body: bytes) -> None:
        """No event escapes the handler; one that does not parse is dead-lettered as invalid,
        one of an unknown run as unknown; one that is processed is in its run's completion set
        and announced as progress, and every run event published is valid."""
        started, event = now(), _parsed(body)
        known = event is not None and await transformer.db.checks.fetchval(
            "select count(*) from control.runs where run_id = $1", event.run_id
        )

        d = await transformer.deliver(body)

        reason = dead_letter_reason(d)
        if event is None:
            assert reason is not None and reason.startswith("invalid BatchLoaded: "), reason
        elif not known:
            assert f"unknown run {event.run_id!r}" == reason
        if reason is not None or event is None:
            tally(d, "", started)
            return
        counted = await transformer.db.checks.fetchval(
            "select count(*) from control.completed_batches where run_id = $1 and batch_id = $2",
            event.run_id,
            event.batch_id,
        )
        sent = [RunEvent.model_validate_json(m.body) for m in d.published[topics.RUN_EVENTS]]
        assert (1, "progress") == (counted, sent[0].kind.value)
        registered = await transformer.db.checks.fetchval(
            "select count(*) from control.batches where run_id = $1 and batch_id = $2",
            event.run_id,
            event.batch_id,
        )
        done = "registered batch" if registered else "batch id the lister never registered"
        tally(d, f"processed: counted ({done})", started)
