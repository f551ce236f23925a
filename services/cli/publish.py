"""Starting a run: its id, and its request published on the run-requests topic."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer

from shared.messages import RunRequest, topics
from shared.settings import KafkaSettings


def new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


async def publish_request(kafka: KafkaSettings, request: RunRequest) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, acks="all")
    await producer.start()
    try:
        body = request.model_dump_json(by_alias=True, exclude_none=True).encode()
        await producer.send_and_wait(topics.RUN_REQUESTS, body, key=(request.run_id or "").encode())
    finally:
        await producer.stop()
