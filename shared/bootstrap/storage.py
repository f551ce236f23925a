"""The raw bucket, its notification rule (objects created under the raw prefix are announced on
the raw-object-events topic by MinIO's Kafka target) and each service's user on it."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import structlog
from minio.notificationconfig import NotificationConfig, PrefixFilterRule, QueueConfig

from shared.clients.storage import minio_client
from shared.settings import MinioService, MinioSettings, MinioUserSettings

from .storage_users import default_users, ensure_bucket_users

log = structlog.get_logger()

# Put and multipart completion only: ObjectCreated:* also fires on tagging and retention changes,
# which create no new content to load.
CREATED_EVENTS = ["s3:ObjectCreated:Put", "s3:ObjectCreated:CompleteMultipartUpload"]


def notification_rule(settings: MinioSettings) -> NotificationConfig:
    return NotificationConfig(
        queue_config_list=[
            QueueConfig(
                queue=settings.notify_arn,
                events=CREATED_EVENTS,
                config_id="raw-objects",
                prefix_filter_rule=PrefixFilterRule(settings.raw_prefix),
            )
        ]
    )


def _bootstrap(settings: MinioSettings, users: Mapping[MinioService, MinioUserSettings]) -> None:
    client = minio_client(settings)
    created = False
    if not client.bucket_exists(settings.bucket):
        client.make_bucket(settings.bucket)
        created = True
    client.set_bucket_notification(settings.bucket, notification_rule(settings))
    log.info("bucket_ready", bucket=settings.bucket, created=created, arn=settings.notify_arn)
    ensure_bucket_users(settings, users)


async def bootstrap_storage(
    settings: MinioSettings, users: Mapping[MinioService, MinioUserSettings] | None = None
) -> None:
    """Create the bucket if missing, (re)apply its notification rule, and create or update the
    services' users and their policies on it (`users`: from the environment by default). All
    idempotent; `settings` must hold the root user's keys."""
    await asyncio.to_thread(_bootstrap, settings, users or default_users())
