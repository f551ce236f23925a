"""The fetcher's settings: the shared concerns plus its own."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import KafkaSettings, MinioBucketSettings, PolygonSettings, PostgresSettings


class FetcherOptions(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FETCHER_", env_file=".env", extra="ignore")

    concurrency: int = Field(8, ge=1, le=64, description="Tickers fetched at once per replica")


class FetcherSettings:
    def __init__(self) -> None:
        self.kafka = KafkaSettings()
        self.minio = MinioBucketSettings()
        self.postgres = PostgresSettings()
        self.polygon = PolygonSettings()
        self.options = FetcherOptions()
