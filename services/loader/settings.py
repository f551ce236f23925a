"""The loader's settings: the shared concerns it needs."""

from __future__ import annotations

from shared.settings import KafkaSettings, MinioSettings, PostgresSettings


class LoaderSettings:
    def __init__(self) -> None:
        self.kafka = KafkaSettings()
        self.minio = MinioSettings()
        self.postgres = PostgresSettings()
