"""The loader under fuzz: its real handler over real Postgres (the object store faked), and
MinIO's object-created notification, as recorded or made hostile."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from faststream.kafka import KafkaBroker, TestKafkaBroker
from hypothesis import strategies as st

from services.loader.handlers import build_router
from services.loader.repository import RawRepository
from services.loader.service import Loader
from shared.messages import topics
from shared.messages.raw_objects import ObjectHeader, TickerBars, encode_object
from tests.fakes.kafka import INSTANT_RETRIES
from tests.fakes.storage import FakeObjectStore

from .rig import Db, Rig
from .strategies import Json, ids, json_values

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "minio"
BUCKET = "stocks-raw"
GOOD_KEY = "raw/polygon/fz-run/b00001.jsonl"
GOOD = encode_object(
    ObjectHeader(
        kind="daily_bars", run_id="fz-run", batch_id="b00001", source="aggs_range", items=1
    ),
    [
        TickerBars(
            ticker="AAPL", bars=[{"t": 1112331600000, "o": 1, "h": 2, "l": 1, "c": 2, "v": 9}]
        )
    ],
)


def notification(key: str, bucket: str = BUCKET, name: str = "s3:ObjectCreated:Put") -> Json:
    """MinIO's event as its Kafka target sends it (the recorded shape, the key query-escaped)."""
    body: dict[str, Any] = json.loads((FIXTURE / "minio-kafka-event-constructed.json").read_text())
    record = body["Records"][0]
    body["EventName"] = record["eventName"] = name
    body["Key"] = f"{bucket}/{key}"
    record["s3"]["bucket"]["name"] = bucket
    record["s3"]["object"]["key"] = quote_plus(key.encode("utf-8", "surrogatepass"), safe="")
    return body


@st.composite
def hostile_notifications(draw: st.DrawFn) -> Json:
    """The recorded event with the key, bucket, event name or record list made hostile."""
    key = draw(st.sampled_from([GOOD_KEY, "raw/", "raw/..", "other/x"]) | ids.map(lambda i: i))
    body = notification(
        key if draw(st.booleans()) else f"raw/polygon/fz-run/{key}.jsonl",
        draw(st.sampled_from([BUCKET, "other", ""]) | st.text(max_size=20)),
        draw(st.sampled_from(["s3:ObjectCreated:Put", "s3:ObjectRemoved:Delete"]) | st.text()),
    )
    if draw(st.integers(0, 4)) == 0:  # a raw escape: `%00`, `%2F..%2F`, invalid `%zz`
        body["Records"][0]["s3"]["object"]["key"] = draw(st.text(alphabet="%0aF2fz./\\ +"))
    if draw(st.integers(0, 4)) == 0:
        body["Records"] = draw(st.sampled_from([[], body["Records"] * 2]) | json_values)
    return body


FIELDS = {"EventName": json_values, "Key": json_values, "Records": json_values}


@asynccontextmanager
async def loader_rig(db: Db) -> AsyncIterator[tuple[Rig, FakeObjectStore]]:
    """The loader's router on an in-memory broker, reading `store` and writing `db`."""
    broker = KafkaBroker()
    store = FakeObjectStore()
    store.objects[GOOD_KEY] = GOOD
    loader = Loader(store, RawRepository(db.ingest), broker, BUCKET, "raw/")
    broker.include_router(build_router(broker, loader, INSTANT_RETRIES))
    rig = Rig(broker, topics.RAW_OBJECT_EVENTS, db, (topics.BATCH_LOADED,))
    async with TestKafkaBroker(broker):
        yield rig, store
