"""Message contracts parse what producers really send."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.messages import FetchBatch, ObjectCreated, RunRequest
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

    def test_adjusted_true_is_rejected_saying_why(self) -> None:
        """Raw keeps bars as traded: a request for adjusted bars is refused with the reason
        (the lister dead-letters it), which names where the adjusted series come from."""
        with pytest.raises(ValidationError) as caught:
            RunRequest.model_validate_json(b'{"adjusted": true}')

        [error] = caught.value.errors()
        assert (("adjusted",), True) == (error["loc"], "marts.fct_adjusted_bars" in error["msg"])
        assert error["msg"].startswith("Value error, adjusted must be false")

    def test_adjusted_false_is_accepted(self) -> None:
        """An explicit `adjusted: false` (older clients send it) is the default run."""
        request = RunRequest.model_validate_json(b'{"adjusted": false}')

        assert RunRequest() == request


class TestFetchBatch:
    def test_a_corporate_action_batch_parses_with_bars_as_traded(self) -> None:
        """`actions` names the kind; `adjusted` defaults to false; [] tickers is the market."""
        batch = FetchBatch.model_validate(
            {
                "run_id": "r1",
                "message_id": "r1/splits/fetch",
                "batch_id": "splits",
                "seq": 4,
                "total_batches": 7,
                "tickers": [],
                "actions": "splits",
                "from": "2024-01-02",
                "to": "2024-03-28",
            }
        )

        assert ("splits", False, []) == (batch.actions, batch.adjusted, batch.tickers)

    def test_an_unknown_kind_of_action_is_rejected(self) -> None:
        """Only splits and dividends are fetched."""
        with pytest.raises(ValidationError):
            FetchBatch.model_validate(
                {
                    "run_id": "r1",
                    "message_id": "m",
                    "batch_id": "mergers",
                    "seq": 0,
                    "total_batches": 1,
                    "tickers": [],
                    "actions": "mergers",
                    "from": "2024-01-02",
                    "to": "2024-01-02",
                }
            )


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
