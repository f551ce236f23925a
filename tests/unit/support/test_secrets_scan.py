"""The e2e secrets scan finds planted secrets in logs, objects, metadata and messages, encoded
too, and reports nothing on clean data."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.support.secrets_scan import (
    Finding,
    find,
    scan_bucket,
    scan_logs,
    scan_records,
    secrets_of,
)

pytestmark = pytest.mark.unit

ENV = {
    "POLYGON_API_KEY": "k3y/with+odd&chars",
    "PG_PASSWORD": 'pw"quoted\\slash',
    "MINIO_FETCHER_SECRET_KEY": "fetcher-s3cret",
    "PG_ADMIN_USER": "postgres",
    "MINIO_LOADER_SECRET_KEY": "short",
}
SECRETS = secrets_of(ENV)


class _Bucket:
    """In-memory objects with metadata, shaped like the minio client calls the scan makes."""

    def __init__(self, objects: dict[str, tuple[bytes, dict[str, str]]]) -> None:
        self._objects = objects

    def list_objects(self, bucket_name: str, *, recursive: bool = False) -> Iterable[Any]:
        return [SimpleNamespace(object_name=k) for k in self._objects]

    def get_object(self, bucket_name: str, object_name: str) -> Any:
        body = io.BytesIO(self._objects[object_name][0])
        return SimpleNamespace(read=body.read, close=body.close, release_conn=lambda: None)

    def stat_object(self, bucket_name: str, object_name: str) -> Any:
        meta = self._objects[object_name][1]
        return SimpleNamespace(metadata=meta, content_type="application/x-ndjson")


def _record(offset: int, value: bytes, headers: list[tuple[str, bytes]]) -> Any:
    return SimpleNamespace(
        topic="t", partition=0, offset=offset, key=b"k", value=value, headers=headers
    )


class TestSecretsOf:
    def test_keeps_keys_passwords_and_secret_keys_long_enough_to_mean_something(self) -> None:
        """Non-secret settings and values too short to match only by chance are left out."""
        assert ["MINIO_FETCHER_SECRET_KEY", "PG_PASSWORD", "POLYGON_API_KEY"] == sorted(SECRETS)


class TestFind:
    def test_plain_url_encoded_and_json_escaped_forms_are_found(self) -> None:
        """A key in a query string, a password inside a JSON string, a secret as is."""
        assert [
            ["POLYGON_API_KEY"],
            ["PG_PASSWORD"],
            ["MINIO_FETCHER_SECRET_KEY"],
            [],
        ] == [
            find(SECRETS, "GET /v2/aggs?apiKey=k3y%2Fwith%2Bodd%26chars"),
            find(SECRETS, b'{"env": {"PG_PASSWORD": "pw\\"quoted\\\\slash"}}'),
            find(SECRETS, "secret_key=fetcher-s3cret"),
            find(SECRETS, '{"event": "batch_fetched", "api_key": "***"}'),
        ]


class TestScanners:
    def test_logs_name_the_file_and_line(self, tmp_path: Path) -> None:
        """Every file under the directory, nested ones too."""
        (tmp_path / "logs").mkdir()
        (tmp_path / "logs" / "fetcher.log").write_text('{"a": 1}\n{"password": "fetcher-s3cret"}\n')
        (tmp_path / "lister.log").write_text("clean\n")

        found = scan_logs(tmp_path, SECRETS)

        log = tmp_path / "logs" / "fetcher.log"
        assert [Finding(f"log:{log}:2", "MINIO_FETCHER_SECRET_KEY")] == found

    def test_objects_bodies_and_metadata(self) -> None:
        """The body of one object and the user metadata of another."""
        bucket = _Bucket(
            {
                "raw/a.jsonl": (b'{"url": "https://x/?apiKey=k3y/with+odd&chars"}\n', {}),
                "raw/b.jsonl": (b"{}\n", {"x-amz-meta-auth": "Bearer k3y/with+odd&chars"}),
                "raw/c.jsonl": (b"{}\n", {"x-amz-meta-run": "r1"}),
            }
        )

        found = scan_bucket(bucket, "b", SECRETS)

        assert [
            Finding("object:b/raw/a.jsonl", "POLYGON_API_KEY"),
            Finding("object-metadata:b/raw/b.jsonl", "POLYGON_API_KEY"),
        ] == found

    def test_messages_values_and_headers(self) -> None:
        """A value and a header; a clean message reports nothing."""
        records = [
            _record(0, b'{"run_id": "r1"}', []),
            _record(1, b'{"dsn": "postgresql://u:pw\\"quoted\\\\slash@h/db"}', []),
            _record(2, b"{}", [("auth", b"fetcher-s3cret")]),
        ]

        found = scan_records(records, SECRETS)

        assert [
            Finding("message:t/0@1", "PG_PASSWORD"),
            Finding("message:t/0@2", "MINIO_FETCHER_SECRET_KEY"),
        ] == found
