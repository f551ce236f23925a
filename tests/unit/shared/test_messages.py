"""Message contracts parse what producers really send."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.messages import ObjectCreated, RunRequest
from shared.messages.topics import CONSUMED, all_topics, dlq

pytestmark = pytest.mark.unit
FIXTURES = Path(__file__).parents[2] / "fixtures" / "minio"


class TestRunRequest:
    def test_an_empty_object_is_a_valid_request(self) -> None:
        """`{}` typed into Kafka UI starts a run with defaults: bars as traded."""
        request = RunRequest.model_validate_json(b"{}")

        assert (None, None, None, 100, False) == (
            request.run_id,
            request.from_,
            request.tickers,
            request.batch_size,
            request.adjusted,
        )

    def test_from_and_to_as_a_user_types_them(self) -> None:
        """The wire name is `from`, a Python keyword, mapped by alias."""
        request = RunRequest.model_validate_json(b'{"from": "2024-01-02", "to": "2024-03-28"}')

        assert (date(2024, 1, 2), date(2024, 3, 28)) == (request.from_, request.to)

    @pytest.mark.parametrize(
        "body", [b'{"batch_size": 0}', b'{"tickers": [" AAPL"]}', b'{"run_id": "a/b"}', b"[1]"]
    )
    def test_invalid_requests_are_rejected(self, body: bytes) -> None:
        """Bad values raise a validation error, which the lister dead-letters."""
        with pytest.raises(ValidationError):
            RunRequest.model_validate_json(body)


class TestObjectCreated:
    def test_the_documented_sample_parses(self) -> None:
        """MinIO's own documented Kafka sample (2019 shape, no milliseconds)."""
        event = ObjectCreated.model_validate_json(
            (FIXTURES / "minio-kafka-event.json").read_bytes()
        )

        assert ("images", "myphoto.jpg", True) == (event.bucket, event.key, event.is_created)

    def test_the_escaped_key_is_decoded(self) -> None:
        """`s3.object.key` is query-escaped; the model gives the key as written."""
        raw = json.loads((FIXTURES / "minio-kafka-event-constructed.json").read_text())
        event = ObjectCreated.model_validate(raw)

        assert raw["Key"] == f"{event.bucket}/{event.key}"


class TestTopics:
    def test_every_consumed_topic_has_a_dead_letter_twin(self) -> None:
        """Bootstrap creates each consumed topic's `.dlq`."""
        assert {f"{t}.dlq" for t in CONSUMED} <= set(all_topics())
        assert "stocks.run-requests.dlq" == dlq("stocks.run-requests")
