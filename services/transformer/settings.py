"""The transformer's settings: Kafka, Postgres as the transform role, and how it runs dbt."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import KafkaSettings, MinioBucketSettings, PostgresSettings


class TransformerOptions(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRANSFORMER_", env_file=".env", extra="ignore")

    dbt_project_dir: Path = Field(Path("dbt"), description="The dbt project (and its profile)")
    dbt_timeout_s: float = Field(3600, gt=0)
    heartbeat_s: float = Field(10, gt=0, description="How often a running dbt renews its claim")
    stale_after_s: float = Field(60, gt=0, description="A claim older than this is taken over")
    stall_timeout_s: float = Field(
        1800, gt=0, description="A running run with no progress for this long is failed"
    )
    sweep_interval_s: float = Field(15, gt=0)
    reconcile_after_s: float = Field(
        60,
        gt=0,
        description="A running run with no progress for this long has its unloaded objects "
        "announced again (a lost MinIO notification), well before the stall timeout",
    )


class TransformerSettings:
    def __init__(self) -> None:
        self.kafka = KafkaSettings()
        self.minio = MinioBucketSettings()
        self.postgres = PostgresSettings()
        self.options = TransformerOptions()
