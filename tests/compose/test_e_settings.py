"""Every setting in .env reaches the container that reads it, as seen from inside that container
(`docker compose exec <service> env`), with .env's values made unlike the defaults."""

from __future__ import annotations

import pytest

from tests.unit.deploy.compose_file import (
    all_refs,
    container_environment,
    raw_environment,
    refs,
)

from .driving import dotenv
from .project import Compose, live_services

pytestmark = pytest.mark.compose


def inside(c: Compose, service: str) -> dict[str, str]:
    """The environment of the service's container (init has exited: a fresh one of it)."""
    text = c.oneshot("env") if service == "init" else c.exec(service, "env")
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


class TestSettingsReachTheContainers:
    @pytest.mark.parametrize("service", live_services())
    def test_the_container_sees_what_compose_promises(self, running: Compose, service: str) -> None:
        """Each variable the compose file sets for the service, with .env's value interpolated."""
        expected = container_environment(service, dotenv(running))
        actual = inside(running, service)

        assert expected == {k: actual.get(k) for k in expected}

    def test_every_variable_of_env_that_compose_reads_was_seen_inside(
        self, running: Compose
    ) -> None:
        """Each .env variable the file interpolates into a service's environment shows up
        there. The host ports are read by compose itself (they publish ports: the tier's
        whole run beside the native stack shows them), Grafana's password by a profile that
        does not run here."""
        env = dotenv(running)
        read = {r.name for r in all_refs()} & set(env)
        seen: set[str] = set()
        for service in live_services():
            actual = inside(running, service)
            for key, value in container_environment(service, env).items():
                if actual.get(key) == value:
                    seen |= {r.name for r in refs(raw_environment(service)[key])} & read
        print(f"settings seen inside the containers: {sorted(seen)}")  # noqa: T201

        ports = {n for n in read if n.endswith("_HOST_PORT")}
        assert read - ports - {"GRAFANA_ADMIN_PASSWORD"} == seen
