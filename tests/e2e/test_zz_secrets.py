"""After every other e2e run (the file name): the API key and every password appear nowhere the
pipeline leaves data (DESIGN.md §5): not in a service log, an object or its metadata, a Kafka
message or a table."""

from __future__ import annotations

import os

import pytest

from services.cli.processes import Replica
from shared.clients.storage import minio_client
from shared.messages.topics import all_topics
from shared.settings import MinioSettings
from testbed.pipeline import Pipeline
from tests.support.secrets_scan import (
    scan_bucket,
    scan_logs,
    scan_tables,
    scan_topics,
    secrets_of,
)

from .conftest import API_KEY

pytestmark = pytest.mark.e2e


class TestNoSecretLeaks:
    async def test_no_secret_is_in_logs_objects_messages_or_tables(
        self, pipeline: Pipeline, first_run: dict[str, object]
    ) -> None:
        """Scanned for the API key (with characters that URL- and JSON-encoding change) and
        every *_PASSWORD / *_SECRET_KEY of the services' environment, in every form."""
        secrets = secrets_of({**os.environ, **pipeline.env})
        settings = MinioSettings().model_copy(update={"bucket": pipeline.env["MINIO_BUCKET"]})
        conn = await pipeline.connect()
        try:
            findings = [
                *scan_logs(pipeline.supervisor.log(Replica("lister", 1)).parent, secrets),
                *scan_bucket(minio_client(settings), settings.bucket, secrets),
                *await scan_topics(pipeline.kafka, all_topics(), secrets),
                *await scan_tables(conn, secrets),
            ]
        finally:
            await conn.close()

        assert (True, []) == (API_KEY in secrets.values(), findings)
