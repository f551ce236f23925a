"""Test tiers: `unit` needs nothing; `integration`, `fuzz` and `e2e` need the real services, found
through the same settings the services read (the environment, or `.env`).

On machines without Docker, `scripts/test` starts them natively (`deploy/local/stack up`) before
pytest. Where Docker exists, STOCKS_ELT_TESTCONTAINERS=1 starts them with testcontainers instead
(tests/support/containers.py). Either way the tests get the same settings objects, which they pass
to the production constructors.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from shared.settings import KafkaSettings, MinioSettings, PostgresAdminSettings, PostgresSettings
from testbed.stack import Stack


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    if os.environ.get("STOCKS_ELT_TESTCONTAINERS") == "1":
        from tests.support.containers import container_stack

        with container_stack() as s:
            yield s
        return
    s = Stack(
        kafka=KafkaSettings(),
        minio=MinioSettings(),
        postgres=PostgresSettings(),
        admin=PostgresAdminSettings(),
    )
    s.check_reachable()
    yield s
