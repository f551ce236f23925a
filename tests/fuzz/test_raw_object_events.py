"""Fuzz: stocks.raw-object-events into the real loader (real RawRepository on Postgres; the
object store faked), and the raw object parser behind it. Every notification is loaded, ignored
as not ours, or dead-lettered; every object is loaded whole (a BatchLoaded out, its batch marked
loaded) or dead-lettered with nothing written."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from hypothesis import given
from pydantic import ValidationError

from shared.messages import BatchLoaded, ObjectCreated, topics
from shared.messages.raw_objects import object_key
from tests.fakes.storage import FakeObjectStore

from .loader_rig import BUCKET, FIELDS, hostile_notifications, loader_rig, notification
from .objects import raw_objects
from .rig import Db, Delivery, Rig, dead_letter_reason, fuzz_settings, now, tally
from .strategies import Json, message_bodies

pytestmark = pytest.mark.fuzz
Loader = tuple[Rig, FakeObjectStore]


@pytest.fixture(scope="module")
async def loader(db: Db) -> AsyncIterator[Loader]:
    async with loader_rig(db) as rig:
        yield rig


async def loaded(rig: Rig, d: Delivery, key: str) -> BatchLoaded:
    """The one BatchLoaded the input published, checked against its batch's row."""
    [sent] = d.published[topics.BATCH_LOADED]
    event = BatchLoaded.model_validate_json(sent.body)
    row = await rig.db.checks.fetchrow(
        "select object_key, loaded_at from control.batches where run_id = $1 and batch_id = $2",
        event.run_id,
        event.batch_id,
    )
    assert row is not None and (key, True) == (row["object_key"], row["loaded_at"] is not None)
    return event


def _ours(body: bytes) -> tuple[bool, str] | None:
    """(whether the loader should load it, its key), or None when it does not parse."""
    try:
        event = ObjectCreated.model_validate_json(body)
    except ValidationError:
        return None
    ours = event.is_created and event.bucket == BUCKET and event.key.startswith("raw/")
    return ours, event.key


class TestEveryNotificationIsLoadedIgnoredOrDeadLettered:
    @fuzz_settings(examples=150)
    @given(body=message_bodies(hostile_notifications(), FIELDS))
    async def test_hostile_notifications(self, loader: Loader, body: bytes) -> None:
        """No notification escapes the handler; one that does not parse is dead-lettered as
        invalid; one for another bucket, prefix or event is ignored with nothing written; one
        for an object of ours is loaded or dead-lettered."""
        (rig, _), started, event = loader, now(), _ours(body)

        d = await rig.deliver(body)

        reason = dead_letter_reason(d)
        outcome = ""
        if event is None:
            assert reason is not None and reason.startswith("invalid ObjectCreated: "), reason
        elif not event[0]:
            assert (None, [], []) == (reason, d.published[topics.BATCH_LOADED], d.changed)
            outcome = "ignored: not an object-created event under raw/ in our bucket"
        elif reason is None:
            await loaded(rig, d, event[1])
            outcome = "processed: object loaded"
        tally(d, outcome, started, event[1] if event else None)


def key_for(head: dict[str, Json] | None) -> str:
    """The key the fetcher would write the object under, when its header names a batch."""
    run, batch = (head or {}).get("run_id"), (head or {}).get("batch_id")
    if isinstance(run, str) and isinstance(batch, str):
        return object_key("raw/", run, batch)
    return "raw/polygon/fz-run/hostile.jsonl"


class TestEveryRawObjectIsLoadedOrDeadLettered:
    @fuzz_settings(examples=200)
    @given(obj=raw_objects())
    async def test_hostile_raw_objects(
        self, loader: Loader, obj: tuple[dict[str, Json] | None, bytes]
    ) -> None:
        """No object makes the handler raise; each is loaded whole as the batch its header
        names (a BatchLoaded out, the batch marked loaded under this key) or dead-lettered with
        no row written, nothing published."""
        (rig, store), (head, data) = loader, obj
        key = key_for(head)
        store.objects[key] = data
        started = now()

        d = await rig.deliver(json.dumps(notification(key)).encode())

        if dead_letter_reason(d) is None:
            event = await loaded(rig, d, key)
            assert ((head or {}).get("run_id"), (head or {}).get("batch_id")) == (
                event.run_id,
                event.batch_id,
            )
        tally(d, "processed: object loaded", started, key)
