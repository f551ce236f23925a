"""The raw bucket and its notification rule: objects created under the raw prefix are announced
on the raw-object-events topic by MinIO's Kafka target."""

from __future__ import annotations

import asyncio

import structlog
from minio.notificationconfig import NotificationConfig, PrefixFilterRule, QueueConfig

from shared.clients.storage import minio_client
from shared.settings import MinioSettings

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


def _bootstrap(settings: MinioSettings) -> None:
    client = minio_client(settings)
    created = False
    if not client.bucket_exists(settings.bucket):
        client.make_bucket(settings.bucket)
        created = True
    client.set_bucket_notification(settings.bucket, notification_rule(settings))
    log.info("bucket_ready", bucket=settings.bucket, created=created, arn=settings.notify_arn)


async def bootstrap_storage(settings: MinioSettings) -> None:
    """Create the bucket if missing and (re)apply its notification rule: both idempotent."""
    await asyncio.to_thread(_bootstrap, settings)
