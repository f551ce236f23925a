"""The warehouse server runs with the same settings under compose as in the native stack that
the tests and benchmarks use, so a figure measured here holds for `docker compose up`."""

from __future__ import annotations

import pytest
import yaml  # type: ignore[import-untyped]  # no types-PyYAML in the pinned dev deps

from deploy.local.launcher.postgres import SERVER_SETTINGS

from .compose_file import COMPOSE

pytestmark = pytest.mark.unit


def compose_server_settings() -> dict[str, str]:
    """The `-c name=value` pairs of the compose postgres service's command."""
    command = yaml.safe_load(COMPOSE.read_text())["services"]["postgres"]["command"]
    assert "postgres" == command[0]
    flags, pairs = command[1::2], command[2::2]
    assert {"-c"} == set(flags), command
    return dict(pair.split("=", 1) for pair in pairs)


def test_compose_runs_postgres_with_the_native_stacks_settings() -> None:
    assert SERVER_SETTINGS == compose_server_settings()
