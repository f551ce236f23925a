"""The broker runs with the same shared settings under compose as in the native stack that the
tests and benchmarks use, so a figure measured here holds for `docker compose up`."""

from __future__ import annotations

import pytest

from deploy.local.launcher.kafka import SHARED_SETTINGS

from .compose_file import service

pytestmark = pytest.mark.unit


def test_compose_gives_kafka_the_native_stacks_shared_settings() -> None:
    # The apache/kafka image (and our stand-in) turns KAFKA_A_B into a.b in server.properties.
    env = service("kafka")["environment"]
    given = {
        name: str(env.get("KAFKA_" + name.upper().replace(".", "_"))) for name in SHARED_SETTINGS
    }

    assert SHARED_SETTINGS == given
