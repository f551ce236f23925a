"""The loader's settings: the shared concerns it needs."""

from __future__ import annotations

from shared.settings import KafkaSettings, MinioBucketSettings, PostgresSettings


class LoaderSettings:
    def __init__(self) -> None:
        self.kafka = KafkaSettings()
        self.minio = MinioBucketSettings()
        self.postgres = PostgresSettings()
