"""The compose tier: the real `docker compose` CLI on podman's Docker API, with stand-in images for
what no registry here serves (deploy/standins). Everything slow is cached under CACHE (the base
image, the Compose CLI, mc, the stand-ins, podman's layer cache), keyed by what went into it;
containers, volumes and the API service are removed at the end."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from .driving import dotenv
from .engine import Engine, install_packages
from .images import base_image, compose_cli
from .project import Compose, checkout, free_port
from .standins import build_standins

CACHE = Path(os.environ.get("STOCKS_ELT_COMPOSE_CACHE", "/var/cache/stocks-elt/compose"))
# Values unlike .env.example's (and the code's defaults) for what compose passes through, so a
# container that shows them got them from .env. Host ports move off the native stack's.
DISTINCT = {
    "MINIO_ACCESS_KEY": "compose-root",
    "MINIO_SECRET_KEY": "compose-root-secret",
    "MINIO_BUCKET": "compose-raw",
    "MINIO_LISTER_ACCESS_KEY": "compose-lister",
    "MINIO_LISTER_SECRET_KEY": "compose-lister-secret",
    "MINIO_FETCHER_ACCESS_KEY": "compose-fetcher",
    "MINIO_FETCHER_SECRET_KEY": "compose-fetcher-secret",
    "MINIO_LOADER_ACCESS_KEY": "compose-loader",
    "MINIO_LOADER_SECRET_KEY": "compose-loader-secret",
    "MINIO_TRANSFORMER_ACCESS_KEY": "compose-transformer",
    "MINIO_TRANSFORMER_SECRET_KEY": "compose-transformer-secret",
    "PG_DATABASE": "stocks_compose",
    "PG_ADMIN_USER": "compose_admin",
    "PG_ADMIN_PASSWORD": "compose-admin-pw",
    "PG_ADMIN_INGEST_PASSWORD": "compose-ingest-pw",
    "PG_ADMIN_TRANSFORM_PASSWORD": "compose-transform-pw",
    "PG_ADMIN_READER_PASSWORD": "compose-reader-pw",
    "KAFKA_PARTITIONS": "6",
    "POLYGON_RATE_LIMIT_PER_S": "45",
    "FETCHER_CONCURRENCY": "6",
    "SCHEDULE_CRON": "45 19 * * 1-5",
    "SCHEDULE_TZ": "America/Chicago",
    "SCHEDULE_RUN_ID_FORMAT": "sched-%Y-%m-%d",
    "SCHEDULE_CATCHUP": "2",
    # MinIO from source, as .env.example offers: compose's registry image is pinned by a digest
    # that no local build can carry (deploy/standins/README.md).
    "COMPOSE_FILE": "docker-compose.yml:deploy/minio/compose.build.yml",
}


@pytest.fixture(scope="session")
def engine() -> Engine:
    if os.geteuid() != 0:
        pytest.fail("the compose tier installs podman and runs it as root: run it as root")
    install_packages()
    e = Engine(CACHE / "podman")
    e.configure()
    return e


@pytest.fixture(scope="session")
def docker_env(
    engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """Images built (or found in the cache), Docker's API served: the environment for the CLI."""
    compose_cli(CACHE)
    build_standins(engine, CACHE, base_image(engine, CACHE))
    run = tmp_path_factory.mktemp("podman")
    with engine.serving(run / "podman.sock", CACHE / "logs" / "podman-service.log") as host:
        yield {
            **os.environ,
            "DOCKER_HOST": host,
            "DOCKER_CONFIG": str(CACHE / "docker"),
            # podman's API has no BuildKit session; its builder (buildah) reads the Dockerfile.
            "DOCKER_BUILDKIT": "0",
        }
    _clean(engine)


def _clean(engine: Engine) -> None:
    """Nothing of the tier keeps running or holds data. The images stay, untagged build stages
    too: they are the layer cache that makes the next `up --build` quick."""
    engine.podman("rm", "--all", "--force", "--time", "0")
    engine.podman("volume", "prune", "--force")


@pytest.fixture(scope="session")
def compose(docker_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Compose:
    """A checkout with `cp .env.example .env` done, then .env edited (DISTINCT, free ports)."""
    work = checkout(tmp_path_factory.mktemp("checkout"))
    shutil.copy(work / ".env.example", work / ".env")
    cli = ("docker", "compose") if shutil.which("docker") else (str(compose_cli(CACHE)),)
    c = Compose(cli, work, docker_env)
    ports = [k for k in dotenv(c) if k.endswith("_HOST_PORT")]
    c.set_env(**DISTINCT, **{k: str(free_port()) for k in ports})
    return c


@pytest.fixture(scope="session")
def running(compose: Compose) -> Iterator[Compose]:
    """`docker compose up -d --build --wait` of every live service; `down -v` at the end."""
    try:
        compose.up("--build")
        yield compose
    finally:
        compose.run("down", "-v", "--remove-orphans", "--timeout", "30", check=False)
