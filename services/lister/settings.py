"""The lister's settings: the shared concerns plus its own defaults."""

from __future__ import annotations

from datetime import date

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import KafkaSettings, MinioBucketSettings, PolygonSettings, PostgresSettings


class ListerOptions(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LISTER_", env_file=".env", extra="ignore")

    history_start: date = Field(
        date(2015, 1, 2), description="Where an incremental run starts a ticker never loaded"
    )
    days_per_batch: int = Field(5, ge=1, le=60, description="Trading days per grouped batch")
    corporate_actions_lookback_days: int = Field(
        30,
        ge=0,
        le=3650,
        description="Splits and dividends are re-read this many days before how far they were "
        "read, since vendors announce them late and correct them",
    )
    corporate_actions_fresh_hours: float = Field(
        12.0,
        ge=0,
        le=24 * 30,
        description="A kind of corporate action read through a run's end less than this long ago "
        "is not read again by the run (a run repeated the same day costs only its bars); 0 "
        "re-reads the window every run",
    )
    include_delisted: bool = Field(
        True, description="Also fetch tickers delisted inside the range (no survivorship bias)"
    )


class ListerSettings:
    def __init__(self) -> None:
        self.kafka = KafkaSettings()
        self.minio = MinioBucketSettings()
        self.postgres = PostgresSettings()
        self.polygon = PolygonSettings()
        self.options = ListerOptions()
