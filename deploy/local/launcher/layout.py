"""Where the launcher keeps things: the download/build cache and the per-stack state."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shared.settings import KafkaSettings, MinioSettings, PostgresSettings, StackSettings

KAFKA_VERSION = "3.9.1"
REPO_ROOT = Path(__file__).resolve().parents[3]


def _versions() -> dict[str, str]:
    """deploy/versions.env, the one place naming the MinIO source pin (compose's MinIO build
    reads it too)."""
    lines = (REPO_ROOT / "deploy" / "versions.env").read_text().splitlines()
    pairs = (line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


_VERSIONS = _versions()
MINIO_MODULE = _VERSIONS["MINIO_MODULE"]
# MinIO has no semver tags: a Go pseudo-version (see deploy/versions.env).
MINIO_PIN = _VERSIONS["MINIO_PIN"]


@dataclass(frozen=True)
class Layout:
    stack: StackSettings
    kafka: KafkaSettings
    minio: MinioSettings
    postgres: PostgresSettings

    @property
    def cache(self) -> Path:
        return self.stack.cache_dir

    @property
    def state(self) -> Path:
        return self.stack.state_dir

    @property
    def kafka_lib(self) -> Path:
        return self.cache / f"kafka-{KAFKA_VERSION}" / "lib"

    @property
    def minio_bin(self) -> Path:
        return self.cache / "bin" / f"minio-{MINIO_PIN}"

    def log(self, name: str) -> Path:
        return self.state / "logs" / f"{name}.log"

    def install_log(self, name: str) -> Path:
        return self.cache / "logs" / f"{name}-install.log"

    def pidfile(self, name: str) -> Path:
        return self.state / "run" / f"{name}.pid"

    def data(self, name: str) -> Path:
        return self.state / "data" / name

    def make_dirs(self) -> None:
        for d in (
            self.cache / "logs",
            self.state / "logs",
            self.state / "run",
            self.state / "data",
        ):
            d.mkdir(parents=True, exist_ok=True)
