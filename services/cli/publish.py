"""Starting a run: its id, its request checked by the lister's own rules, and published on the
run-requests topic."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from pydantic import ValidationError

from shared.messages import RunRequest, topics
from shared.messages.run_rules import InvalidRunRequest, market_date
from shared.settings import KafkaSettings


def new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def today_in_new_york() -> date:
    """The lister's `today` for a request sent now (it reads it off the Kafka timestamp)."""
    return market_date(datetime.now(UTC))


def checked_request(fields: dict[str, Any], today: date) -> RunRequest:
    """The request, or InvalidRunRequest with every reason the lister would refuse it for."""
    try:
        request = RunRequest.model_validate(fields)
    except ValidationError as exc:
        reasons = [
            f"{'.'.join(str(p) for p in e['loc'] if not isinstance(p, int)) or 'request'}:"
            f" {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        ]
        raise InvalidRunRequest("; ".join(reasons)) from exc
    request.span(today)
    return request


async def publish_request(kafka: KafkaSettings, request: RunRequest) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, acks="all")
    await producer.start()
    try:
        body = request.model_dump_json(by_alias=True, exclude_none=True).encode()
        await producer.send_and_wait(topics.RUN_REQUESTS, body, key=(request.run_id or "").encode())
    finally:
        await producer.stop()
