"""docker-compose.yml: valid Compose, the native launcher's entry points, scalable pipeline
services, admin ports on loopback only, and a startup order that needs nothing but `up`."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import structlog

from services.cli.processes import SERVICES, SIMULATOR, command
from shared.clients.broker import make_broker
from shared.messages.topics import RAW_OBJECT_EVENTS
from shared.settings import KafkaSettings

from .compose_file import (
    APP_SERVICES,
    COMPOSE,
    REPO,
    SCALABLE,
    env_example,
    interpolate,
    load_compose,
    service,
)

pytestmark = pytest.mark.unit
BIN = Path(sys.executable).parent
_HOST_PORT = re.compile(
    r"127\.0\.0\.1:\$\{(?P<name>[A-Z_]+_HOST_PORT):-(?P<default>\d+)\}:(?P<target>\d+)"
)


def _without_interpreter(cmd: list[str]) -> list[str]:
    """The native command as a container runs it: programs by name, found on the PATH."""
    program = "python" if cmd[0] == sys.executable else Path(cmd[0]).name
    return [program, *cmd[1:]]


def _published(spec: dict[str, Any]) -> list[str]:
    ports = spec.get("ports") or []
    return [
        p
        if isinstance(p, str)
        else f"{p.get('host_ip', '')}:{p.get('published', '')}:{p['target']}"
        for p in ports
    ]


class TestComposeSpecification:
    def test_the_file_validates_against_the_compose_schema(self) -> None:
        """check-jsonschema's vendored Compose Specification accepts the file (offline)."""
        result = subprocess.run(
            [
                str(BIN / "check-jsonschema"),
                "--builtin-schema",
                "vendor.compose-spec",
                str(COMPOSE),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )

        assert 0 == result.returncode, result.stdout + result.stderr


class TestEntryPoints:
    @pytest.mark.parametrize("name", [*SERVICES, SIMULATOR])
    def test_a_service_runs_the_native_launchers_command(self, name: str) -> None:
        """Compose runs exactly what `stocks-elt services up` runs, minus the interpreter path."""
        expected = _without_interpreter(command(name))

        assert expected == service(name.replace("_", "-"))["command"]

    def test_the_init_job_runs_bootstrap_through_the_installed_cli(self) -> None:
        """`init` is `stocks-elt bootstrap`, the console script pyproject.toml declares."""
        scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]

        assert (["stocks-elt", "bootstrap"], "services.cli.main:main") == (
            service("init")["command"],
            scripts["stocks-elt"],
        )

    def test_every_python_process_uses_the_one_project_image(self) -> None:
        """All app services build the root Dockerfile into the same image."""
        actual = {(service(s).get("build"), service(s).get("image")) for s in APP_SERVICES}

        assert {(".", "stocks-elt:local")} == actual


class TestScaling:
    @pytest.mark.parametrize("name", SCALABLE)
    def test_a_scalable_service_has_no_fixed_name_nor_host_port(self, name: str) -> None:
        """`--scale` needs replicas that can coexist: no container_name, no published port."""
        spec = service(name)

        assert (None, [], None) == (
            spec.get("container_name"),
            _published(spec),
            spec.get("hostname"),
        )


class TestExposure:
    def test_only_the_admin_ports_are_published_and_only_on_loopback(self) -> None:
        """Kafka UI, the MinIO console, Postgres, Prometheus and Grafana are reachable from this
        machine only; the services' metrics ports only on the compose network."""
        actual = {
            name: [interpolate(port, {}) for port in _published(spec)]
            for name, spec in load_compose()["services"].items()
            if _published(spec)
        }

        assert {
            "grafana": ["127.0.0.1:3000:3000"],
            "prometheus": ["127.0.0.1:9090:9090"],
            "kafka-ui": ["127.0.0.1:8080:8080"],
            "minio": ["127.0.0.1:9001:9001"],
            "postgres": ["127.0.0.1:5432:5432"],
        } == actual

    def test_each_host_port_is_a_variable_with_todays_port_as_default(self) -> None:
        """`127.0.0.1:${<NAME>_HOST_PORT:-<port>}:<port>`, and .env.example sets the same port:
        a user whose 5432 or 8080 is taken moves it in .env."""
        dotenv = env_example()
        loose = [
            port
            for spec in load_compose()["services"].values()
            for port in _published(spec)
            if not (m := _HOST_PORT.fullmatch(port))
            or m["default"] != m["target"]
            or dotenv.get(m["name"]) != m["default"]
        ]

        assert [] == loose


class TestStartupOrder:
    def test_init_waits_for_healthy_servers(self) -> None:
        """Bootstrap starts only once Kafka, MinIO and Postgres answer their healthchecks."""
        actual = {k: v["condition"] for k, v in service("init")["depends_on"].items()}

        assert dict.fromkeys(("kafka", "minio", "postgres"), "service_healthy") == actual

    @pytest.mark.parametrize("name", SCALABLE)
    def test_a_pipeline_service_waits_for_a_successful_init(self, name: str) -> None:
        """Topics, bucket rule and tables exist before any consumer or producer starts."""
        condition = service(name)["depends_on"]["init"]["condition"]

        assert "service_completed_successfully" == condition

    def test_every_awaited_health_is_defined(self) -> None:
        """A `service_healthy` dependency on a service without healthcheck would never start."""
        services = load_compose()["services"]
        awaited = {
            dep
            for spec in services.values()
            for dep, cond in (spec.get("depends_on") or {}).items()
            if cond["condition"] == "service_healthy"
        }
        unhealthy = sorted(
            d
            for d in awaited
            if (services[d].get("healthcheck") or {"disable": True}).get("disable")
        )

        assert [] == unhealthy

    def test_the_init_job_is_not_restarted(self) -> None:
        """A one-shot job: restarting it would keep `service_completed_successfully` unmet."""
        assert "no" == service("init")["restart"]


class TestImages:
    def test_every_pulled_image_is_pinned(self) -> None:
        """No `latest` and no bare major version: each tag names at least major.minor, or a
        MinIO release date."""
        images = {s.get("image") for s in load_compose()["services"].values()}
        images -= {"stocks-elt:local"}
        loose = sorted(i for i in images if not re.search(r":(v?\d+\.\d+|RELEASE\.)", i))

        assert [] == loose


class TestMinioNotifications:
    def test_the_kafka_target_matches_the_bucket_rule_and_the_topic(self) -> None:
        """MinIO's PRIMARY target sends to the services' Kafka, on the raw-object-events topic,
        through a queue dir on a volume; bootstrap's rule points at the same target id."""
        env = service("minio")["environment"]
        target = service("init")["environment"]["MINIO_NOTIFY_TARGET_ID"]  # bootstrap sets the rule
        queue = env[f"MINIO_NOTIFY_KAFKA_QUEUE_DIR_{target}"]
        mounts = [v.split(":")[1] for v in service("minio")["volumes"]]

        assert (
            "on",
            service("loader")["environment"]["KAFKA_BOOTSTRAP_SERVERS"],
            RAW_OBJECT_EVENTS,
            True,
        ) == (
            env[f"MINIO_NOTIFY_KAFKA_ENABLE_{target}"],
            env[f"MINIO_NOTIFY_KAFKA_BROKERS_{target}"],
            env[f"MINIO_NOTIFY_KAFKA_TOPIC_{target}"],
            queue in mounts,
        )


class TestGracefulShutdown:
    @pytest.mark.parametrize("name", [*SCALABLE, "scheduler", "polygon-sim"])
    def test_docker_waits_longer_than_the_services_graceful_timeout(self, name: str) -> None:
        """On SIGTERM FastStream waits up to its graceful timeout for the message in hand (then
        leaves it uncommitted, so it comes again): Docker must not SIGKILL before that."""
        broker = make_broker(KafkaSettings(), structlog.get_logger())
        grace = service(name)["stop_grace_period"]
        seconds = int(re.fullmatch(r"(\d+)s", grace).group(1))  # type: ignore[union-attr]

        assert broker.config.graceful_timeout is not None
        assert seconds > broker.config.graceful_timeout
