"""Settings, one pydantic-settings class per concern, read from the environment and `.env`.

Secrets have no default, so a service started without them fails at once. Every other default
matches the local stack (compose, or `deploy/local/stack`), whose addresses are all 127.0.0.1.
Only composition roots (a service's `app.py`, the CLI, the stack launcher) build these.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _config(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(
        env_prefix=prefix, env_file=".env", env_ignore_empty=True, extra="ignore"
    )


class KafkaSettings(BaseSettings):
    """Where the Kafka cluster is and how topics are laid out."""

    model_config = _config("KAFKA_")

    bootstrap_servers: str = Field("127.0.0.1:9092", description="host:port[,host:port...]")
    # Enough partitions for as many consumer replicas as a user would start.
    partitions: int = Field(12, ge=1)
    replication_factor: int = Field(1, ge=1)


class MinioUserSettings(BaseSettings):
    """One service's own MinIO user. Bootstrap creates it with a policy on the raw prefix of
    the bucket; the defaults are for the local stack only (like the PG passwords of
    .env.example): set real ones anywhere else."""

    access_key: str
    secret_key: SecretStr


class MinioListerUser(MinioUserSettings):
    model_config = _config("MINIO_LISTER_")

    access_key: str = "elt-lister"
    secret_key: SecretStr = SecretStr("lister-local-secret")


class MinioFetcherUser(MinioUserSettings):
    model_config = _config("MINIO_FETCHER_")

    access_key: str = "elt-fetcher"
    secret_key: SecretStr = SecretStr("fetcher-local-secret")


class MinioLoaderUser(MinioUserSettings):
    model_config = _config("MINIO_LOADER_")

    access_key: str = "elt-loader"
    secret_key: SecretStr = SecretStr("loader-local-secret")


class MinioTransformerUser(MinioUserSettings):
    model_config = _config("MINIO_TRANSFORMER_")

    access_key: str = "elt-transformer"
    secret_key: SecretStr = SecretStr("transformer-local-secret")


MinioService = Literal["lister", "fetcher", "loader", "transformer"]
MINIO_USERS: dict[MinioService, type[MinioUserSettings]] = {
    "lister": MinioListerUser,
    "fetcher": MinioFetcherUser,
    "loader": MinioLoaderUser,
    "transformer": MinioTransformerUser,
}


class MinioBucketSettings(BaseSettings):
    """Where the object store and its bucket of raw API answers are, without credentials: what
    a service reads, since it connects as its own user (`for_service`), never as root."""

    model_config = _config("MINIO_")

    endpoint: str = Field("127.0.0.1:9000", description="host:port of the S3 API")
    secure: bool = False
    bucket: str = "stocks-raw"
    raw_prefix: str = Field("raw/", description="Objects under it trigger the loader")
    region: str = ""

    def for_service(self, service: MinioService) -> MinioSettings:
        """These settings with the service's own user (MINIO_<SERVICE>_ACCESS_KEY/_SECRET_KEY)
        as the credentials."""
        user = MINIO_USERS[service]()
        where = MinioBucketSettings.model_fields
        return MinioSettings(
            **{name: getattr(self, name) for name in where},
            access_key=user.access_key,
            secret_key=user.secret_key,
        )


class MinioSettings(MinioBucketSettings):
    """The object store with credentials, and its notification target. Read from MINIO_ the
    keys are the root user's, for bootstrap; `for_service` gives a service's own user."""

    access_key: str = "minioadmin"
    secret_key: SecretStr
    # The ID of the Kafka notification target configured on the server
    # (MINIO_NOTIFY_KAFKA_*_<ID>); the bucket rule refers to it by ARN.
    notify_target_id: str = "PRIMARY"

    @property
    def notify_arn(self) -> str:
        return f"arn:minio:sqs:{self.region}:{self.notify_target_id}:kafka"


class PostgresSettings(BaseSettings):
    """A connection as one of the application roles; bootstrap uses the admin role."""

    model_config = _config("PG_")

    host: str = "127.0.0.1"
    port: int = 5432
    database: str = "stocks"
    user: str = "elt_ingest"
    password: SecretStr
    pool_min: int = 1
    pool_max: int = 5

    def dsn(self) -> str:
        """A libpq URL; only for clients that need one (the password is in it: never log it)."""
        pw = self.password.get_secret_value()
        return f"postgresql://{self.user}:{pw}@{self.host}:{self.port}/{self.database}"


class PostgresAdminSettings(BaseSettings):
    """The superuser that bootstrap uses to create the database, schemas and roles."""

    model_config = _config("PG_ADMIN_")

    user: str = "postgres"
    password: SecretStr
    # Passwords of the application roles that bootstrap creates.
    ingest_password: SecretStr
    transform_password: SecretStr
    reader_password: SecretStr


class PolygonSettings(BaseSettings):
    """The Polygon.io / Massive REST API, or the local simulator that stands in for it.

    The prefix is POLYGON_ rather than API_ because users know the key as POLYGON_API_KEY.
    """

    model_config = _config("POLYGON_")

    api_key: SecretStr
    base_url: str = "http://127.0.0.1:8800"
    timeout_s: float = 10.0
    max_retry_s: float = Field(300.0, description="Give up on one request after this long")
    # Requests per second for the whole deployment, however many fetchers run.
    rate_limit_per_s: float = Field(50.0, gt=0)
    rate_limit_burst: int = Field(1, ge=1, description="Requests that may go at once after a lull")
    # The row of control.api_rate_limit that replicas share: one per API key.
    rate_limit_name: str = "polygon"
    max_connections: int = 20
    # Full-jitter exponential backoff: sleep U(0, min(cap, base * 2**attempt)) between attempts.
    backoff_base_s: float = Field(0.5, gt=0)
    backoff_cap_s: float = Field(60.0, gt=0)


LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class LoggingSettings(BaseSettings):
    """How much every process logs: LOG_LEVEL, one setting for every service and the CLI."""

    model_config = _config("LOG_")

    level: LogLevel = Field("INFO", description="Least severe level logged (any case)")

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        # Users write `debug` as often as `DEBUG`; the logging module knows only the latter.
        return value.upper() if isinstance(value, str) else value


class StackSettings(BaseSettings):
    """The native stack launcher: where it caches downloads and keeps data and logs."""

    model_config = _config("STACK_")

    cache_dir: Path = Path.home() / ".cache" / "stocks-elt"
    # Postgres runs as its own user, which cannot enter root's home: root keeps state in /var/lib.
    state_dir: Path = (
        Path("/var/lib/stocks-elt")
        if os.geteuid() == 0
        else Path.home() / ".local" / "state" / "stocks-elt"
    )
    kafka_controller_port: int = 9093
    minio_console_port: int = 9001
    minio_queue_dir: str = "minio-events-queue"


__all__ = [
    "MINIO_USERS",
    "KafkaSettings",
    "LogLevel",
    "LoggingSettings",
    "MinioBucketSettings",
    "MinioFetcherUser",
    "MinioListerUser",
    "MinioLoaderUser",
    "MinioService",
    "MinioSettings",
    "MinioTransformerUser",
    "MinioUserSettings",
    "PolygonSettings",
    "PostgresAdminSettings",
    "PostgresSettings",
    "StackSettings",
]
