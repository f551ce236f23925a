"""Every setting in .env reaches the container that reads it, as seen from inside that container
(`docker compose exec <service> env`), with .env's values made unlike the defaults."""

from __future__ import annotations

import pytest

from tests.unit.deploy.compose_file import (
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

    def test_every_variable_of_env_was_seen_inside_unless_compose_fixes_it(
        self, running: Compose
    ) -> None:
        """Each .env variable shows up with .env's value in some live container (through
        env_file or interpolation), except the in-network values compose sets itself, the host
        ports (compose publishes them: the tier running beside the native stack shows them) and
        Grafana's password (its profile does not run here)."""
        env = dotenv(running)
        seen: set[str] = set()
        fixed: set[str] = set()
        for service in live_services():
            raw, actual = raw_environment(service), inside(running, service)
            for key, value in container_environment(service, env).items():
                names = {r.name for r in refs(raw[key])} if key in raw else {key}
                if key in raw and not names:
                    fixed.add(key)
                if actual.get(key) == value:
                    seen |= names & set(env)
        print(f"settings seen inside the containers ({len(seen)}): {sorted(seen)}")  # noqa: T201
        ports = {n for n in env if n.endswith("_HOST_PORT")}

        assert set() == set(env) - seen - fixed - ports - {"GRAFANA_ADMIN_PASSWORD"}
