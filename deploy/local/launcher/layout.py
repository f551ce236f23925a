"""Where the launcher keeps things: the download/build cache and the per-stack state."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shared.settings import KafkaSettings, MinioSettings, PostgresSettings, StackSettings

KAFKA_VERSION = "3.9.1"
# MinIO has no semver tags; this pseudo-version is master at commit 7aac2a2c5b7c (Feb 2026).
MINIO_MODULE = "github.com/minio/minio"
MINIO_PIN = "v0.0.0-20260212201848-7aac2a2c5b7c"
REPO_ROOT = Path(__file__).resolve().parents[3]


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
