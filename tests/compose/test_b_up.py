"""`cp .env.example .env && docker compose up -d --build --wait`: every service but Kafka UI comes
up healthy (or running, where it has no healthcheck), the init job completes, and the processes
are the image's non-root user."""

from __future__ import annotations

import json

import pytest

from .project import Compose, live_services

pytestmark = pytest.mark.compose

APP_SERVICES = ("polygon-sim", "lister", "fetcher", "loader", "transformer", "scheduler")


def states(c: Compose) -> dict[str, list[tuple[str, str, int]]]:
    """Each service's containers as (state, health, exit code)."""
    out: dict[str, list[tuple[str, str, int]]] = {}
    for line in c.run("ps", "-a", "--format", "json").stdout.splitlines():
        ctr = json.loads(line)
        out.setdefault(ctr["Service"], []).append(
            (ctr["State"], ctr.get("Health") or "", int(ctr.get("ExitCode") or 0))
        )
    return out


class TestUp:
    def test_every_service_but_kafka_ui_is_healthy_and_init_completed(
        self, running: Compose
    ) -> None:
        """Servers and pipeline services report healthy; init exited 0; Kafka UI never ran."""
        expected = {s: [("running", "healthy", 0)] for s in live_services() if s != "init"}
        expected["init"] = [("exited", "", 0)]

        assert expected == states(running)

    @pytest.mark.parametrize("service", APP_SERVICES)
    def test_the_service_runs_as_the_images_non_root_user(
        self, running: Compose, service: str
    ) -> None:
        """uid 10001 (the Dockerfile's `app`) for every process in the container, the ones
        compose started included, not only for `exec`."""
        status = running.exec(service, "sh", "-c", "cat /proc/[0-9]*/status")
        uids = {line.split()[1] for line in status.splitlines() if line.startswith("Uid:")}

        assert "10001" == running.exec(service, "id", "-u").strip()
        assert {"10001"} == uids

    def test_dbt_commands_work_inside_the_transformer(self, running: Compose) -> None:
        """`dbt debug --connection` and `dbt ls` from /app as the transform role, with compose's
        settings. (Plain `dbt debug` also wants git, which the image, like python:slim, lacks.)"""
        debug = running.exec(
            "transformer", "dbt", "debug", "--connection", "--project-dir", "dbt",
            "--profiles-dir", "dbt",
        )  # fmt: skip
        models = running.exec(
            "transformer", "dbt", "ls", "--project-dir", "dbt", "--profiles-dir", "dbt",
            "--resource-type", "model", "--output", "name", "--quiet",
        )  # fmt: skip

        assert "All checks passed!" in debug
        assert "stg_polygon__stock_bars_daily" in models.split()
