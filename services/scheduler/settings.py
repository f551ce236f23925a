"""The scheduler's settings: Kafka, Postgres (its slot claims and the outbox), and the schedule."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.observability import MetricsSettings
from shared.settings import KafkaSettings, PostgresSettings


class ScheduleOptions(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SCHEDULE_", env_file=".env", env_ignore_empty=True, extra="ignore"
    )

    cron: str = Field(
        "30 18 * * 1-5",
        description="When runs start (5 fields, or 6 with seconds last); the default is after "
        "Polygon's end-of-day data is complete",
    )
    tz: str = Field("America/New_York", description="The time zone the cron is read in")
    run_id_format: str = Field(
        "daily-%Y-%m-%d",
        description="strftime of the slot's local time: the run id, the same for every replica "
        "and restart; must tell the schedule's slots apart",
    )
    catchup: int = Field(
        3,
        ge=0,
        le=1000,
        description="Missed slots started on start-up (oldest first), besides the latest; 0: "
        "only the latest",
    )
    request: dict[str, Any] = Field(
        default_factory=dict,
        description='Run request fields for every scheduled run, JSON, e.g. {"max_tickers": 500}',
    )
    poll_s: float = Field(
        30.0, gt=0, le=3600, description="Longest sleep between checks (clock jumps, missed wakes)"
    )


class SchedulerSettings:
    def __init__(self) -> None:
        self.kafka = KafkaSettings()
        self.postgres = PostgresSettings()
        self.metrics = MetricsSettings()
        self.options = ScheduleOptions()
