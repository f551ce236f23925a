"""Everything bootstrap does, in the order it must happen: topics before the bucket rule that
publishes to them, so that MinIO never sends to a topic that does not exist yet."""

from __future__ import annotations

from shared.settings import KafkaSettings, MinioSettings, PostgresAdminSettings, PostgresSettings

from .database import bootstrap_database
from .storage import bootstrap_storage
from .topics import bootstrap_topics


async def bootstrap_all(
    kafka: KafkaSettings,
    minio: MinioSettings,
    pg: PostgresSettings,
    admin: PostgresAdminSettings,
) -> None:
    await bootstrap_topics(kafka)
    await bootstrap_storage(minio)
    await bootstrap_database(pg, admin)
