"""`docker compose down` leaves nothing running and keeps the data; `down -v` removes it."""

from __future__ import annotations

import pytest

from .engine import Engine
from .project import Compose

pytestmark = pytest.mark.compose

VOLUMES = {"kafka-data", "minio-data", "minio-queue", "postgres-data"}


def project_volumes(engine: Engine) -> set[str]:
    names = engine.check("volume", "ls", "--format", "{{.Name}}").split()
    return {n.removeprefix("stocks-elt_") for n in names if n.startswith("stocks-elt_")}


class TestDown:
    def test_down_stops_everything_and_keeps_the_volumes(
        self, running: Compose, engine: Engine
    ) -> None:
        """No container of the project is left, running or stopped; its named volumes stay."""
        running.run("down", "--timeout", "30")

        assert [] == running.run("ps", "-a", "-q").stdout.split()
        assert "" == engine.check("ps", "-a", "-q")
        assert VOLUMES <= project_volumes(engine)

    def test_down_v_removes_the_data(self, running: Compose, engine: Engine) -> None:
        """`down -v` removes the project's named volumes: the next `up` starts empty."""
        running.run("down", "-v", "--timeout", "30")

        assert set() == project_volumes(engine)
