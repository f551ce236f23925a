"""Kafka topics: every topic in `shared.messages.topics`, with at least the configured
partitions."""

from __future__ import annotations

from collections.abc import Iterable

import structlog
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic

from shared.messages.topics import all_topics
from shared.settings import KafkaSettings

log = structlog.get_logger()


async def bootstrap_topics(settings: KafkaSettings, topics: Iterable[str] | None = None) -> None:
    """Create missing topics; grow existing ones that have fewer partitions than configured."""
    wanted = list(topics) if topics is not None else all_topics()
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await admin.start()
    try:
        existing = await admin.describe_topics(wanted)
        partitions = {t["topic"]: len(t["partitions"]) for t in existing if t["error_code"] == 0}
        missing = [t for t in wanted if t not in partitions]
        if missing:
            await admin.create_topics(
                [NewTopic(t, settings.partitions, settings.replication_factor) for t in missing]
            )
        grow = {
            t: NewPartitions(settings.partitions)
            for t, n in partitions.items()
            if n < settings.partitions
        }
        if grow:
            await admin.create_partitions(grow)
        log.info("topics_ready", created=missing, grown=sorted(grow), total=len(wanted))
    finally:
        await admin.close()
