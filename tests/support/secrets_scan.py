"""Looking for secrets where the pipeline leaves data: service logs, objects and their metadata,
Kafka messages, and every text-like column of every table. For the e2e tier, after a run with
unusual secret values (DESIGN.md §5: the API key and the passwords appear nowhere).

API (each scanner returns a list of `Finding(where, secret)`; empty means clean):
- `secrets_of(env)`: {name: value} of the secrets in an environment mapping (the API key, every
  *_PASSWORD and *_SECRET_KEY); values shorter than MIN_LENGTH are left out (they would match by
  chance: give the run long, unusual values).
- `find(secrets, data)`: the names whose value occurs in `data` (str or bytes), also
  URL-encoded and JSON-escaped.
- `scan_logs(directory, secrets)`: every file under `directory` (the pipeline's state dir), by line.
- `scan_bucket(client, bucket, secrets)`: every object's body, user metadata and content type.
- `await scan_topics(bootstrap_servers, topics, secrets)`: every message (key, value, headers) of
  every partition of `topics`, from the beginning to the end offsets at the call.
- `await scan_tables(conn, secrets)`: every text, varchar, char, json, jsonb and array column of
  every base table outside the system schemas (one query per column).

Example (e2e):
    secrets = secrets_of({**os.environ, **pipeline.env})
    findings = [
        *scan_logs(state_dir, secrets),
        *scan_bucket(minio_client(bucket_settings), bucket_settings.bucket, secrets),
        *await scan_topics(kafka.bootstrap_servers, all_topics(), secrets),
        *await scan_tables(admin_conn, secrets),
    ]
    assert [] == findings
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, quote_plus

import asyncpg
from aiokafka import AIOKafkaConsumer

from testbed.kafka_tail import _partitions as partitions

MIN_LENGTH = 6
_SECRET_SUFFIXES = ("_PASSWORD", "_SECRET_KEY", "_API_KEY")
_TEXT_TYPES = ("text", "character varying", "character", "json", "jsonb", "ARRAY", "USER-DEFINED")
_COLUMNS = """
select c.table_schema, c.table_name, c.column_name from information_schema.columns c
join information_schema.tables t using (table_schema, table_name)
where t.table_type = 'BASE TABLE' and c.data_type = any($1::text[])
  and c.table_schema not in ('pg_catalog', 'information_schema') and c.table_schema !~ '^pg_'
order by 1, 2, 3
"""


@dataclass(frozen=True)
class Finding:
    """Where a secret was seen ("log:<file>:<line>", "object:<bucket>/<key>", ...), and which."""

    where: str
    secret: str


class ObjectSource(Protocol):
    """The part of minio.Minio the bucket scan uses."""

    def list_objects(self, bucket_name: str, *, recursive: bool = ...) -> Iterable[Any]: ...

    def get_object(self, bucket_name: str, object_name: str) -> Any: ...

    def stat_object(self, bucket_name: str, object_name: str) -> Any: ...


def secrets_of(env: Mapping[str, str]) -> dict[str, str]:
    """The secret values of an environment, by variable name."""
    return {
        name: value
        for name, value in env.items()
        if name.endswith(_SECRET_SUFFIXES) and len(value) >= MIN_LENGTH
    }


def _forms(value: str) -> set[str]:
    return {value, quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1]}


def find(secrets: Mapping[str, str], data: str | bytes) -> list[str]:
    """Names of the secrets whose value (or an encoded form of it) occurs in `data`."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return sorted(n for n, v in secrets.items() if any(f in text for f in _forms(v)))


def scan_logs(directory: Path, secrets: Mapping[str, str]) -> list[Finding]:
    out = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        with path.open("rb") as f:
            for number, line in enumerate(f, 1):
                out += [Finding(f"log:{path}:{number}", s) for s in find(secrets, line)]
    return out


def scan_bucket(client: ObjectSource, bucket: str, secrets: Mapping[str, str]) -> list[Finding]:
    out = []
    for obj in client.list_objects(bucket, recursive=True):
        key = obj.object_name
        response = client.get_object(bucket, key)
        try:
            body = response.read()
        finally:
            response.close()
            response.release_conn()
        stat = client.stat_object(bucket, key)
        meta = json.dumps({**dict(stat.metadata or {}), "content_type": stat.content_type})
        out += [Finding(f"object:{bucket}/{key}", s) for s in find(secrets, key + "\n" + str(body))]
        out += [Finding(f"object-metadata:{bucket}/{key}", s) for s in find(secrets, meta)]
    return out


def scan_records(records: Iterable[Any], secrets: Mapping[str, str]) -> list[Finding]:
    """Kafka records (aiokafka ConsumerRecord: topic, partition, offset, key, value, headers)."""
    out = []
    for r in records:
        parts = [r.key or b"", r.value or b"", *(k.encode() + b"=" + v for k, v in r.headers)]
        where = f"message:{r.topic}/{r.partition}@{r.offset}"
        out += [Finding(where, s) for s in find(secrets, b"\n".join(parts))]
    return out


async def scan_topics(
    bootstrap_servers: str, topics: Iterable[str], secrets: Mapping[str, str]
) -> list[Finding]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers, enable_auto_commit=False, group_id=None
    )
    await consumer.start()
    out: list[Finding] = []
    try:
        parts = [tp for t in topics for tp in await partitions(consumer, t)]
        if not parts:
            return out
        consumer.assign(parts)
        ends = await consumer.end_offsets(parts)
        await consumer.seek_to_beginning(*parts)
        pending = {tp for tp in parts if ends[tp] > 0}
        while pending:
            batch = await consumer.getmany(*pending, timeout_ms=5000, max_records=5000)
            if not batch:
                break  # nothing retained below the end offsets (transaction markers, say)
            for tp, records in batch.items():
                out += scan_records(records, secrets)
                if records and records[-1].offset + 1 >= ends[tp]:
                    pending.discard(tp)
    finally:
        await consumer.stop()
    return out


async def scan_tables(conn: asyncpg.Connection, secrets: Mapping[str, str]) -> list[Finding]:
    out = []
    names, values = list(secrets), list(secrets.values())
    for schema, table, column in await conn.fetch(_COLUMNS, list(_TEXT_TYPES)):
        found = await conn.fetch(
            f"select n from unnest($1::text[], $2::text[]) as s (n, v) where exists ("
            f'select 1 from "{schema}"."{table}" t where strpos(t."{column}"::text, s.v) > 0)',
            names,
            values,
        )
        out += [Finding(f"table:{schema}.{table}.{column}", r["n"]) for r in found]
    return out


__all__ = [
    "MIN_LENGTH",
    "Finding",
    "find",
    "scan_bucket",
    "scan_logs",
    "scan_records",
    "scan_tables",
    "scan_topics",
    "secrets_of",
]
