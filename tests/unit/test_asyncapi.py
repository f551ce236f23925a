"""The AsyncAPI documents in docs/asyncapi/ are what FastStream generates from the services'
apps today, and they show each consumer's payload model and dead-letter twin."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from services.asyncapi import SERVICES, path
from services.fetcher.handlers import TICKER_BATCHES
from services.lister.handlers import RUN_REQUESTS
from services.loader.handlers import RAW_OBJECT_EVENTS
from services.transformer.handlers import BATCH_LOADED
from shared.clients.routing import Subscription
from shared.messages import topics

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
CONSUMERS: dict[str, Subscription[Any]] = {
    "lister": RUN_REQUESTS,
    "fetcher": TICKER_BATCHES,
    "loader": RAW_OBJECT_EVENTS,
    "transformer": BATCH_LOADED,
}


@pytest.fixture(scope="module")
def generated() -> dict[str, Any]:
    """Every document, generated again in a process of its own: importing an app configures
    logging for the whole process, which this one's other tests must not inherit."""
    out = subprocess.run(
        [sys.executable, "-m", "services.asyncapi", "--print"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    return {service: json.loads(text) for service, text in json.loads(out).items()}


def operations(document: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(action, topic) -> the payload's schema name, for each operation of the document."""
    found = {}
    for op in document["operations"].values():
        channel = document["channels"][_name(op["channel"]["$ref"])]
        (message,) = channel["messages"].values()
        payload = document["components"]["messages"][_name(message["$ref"])]["payload"]
        found[(op["action"], channel["address"])] = _name(payload["$ref"])
    return found


def _name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1].replace("%20", " ")


class TestCommittedDocuments:
    @pytest.mark.parametrize("service", SERVICES)
    def test_the_committed_document_is_what_the_code_generates(
        self, generated: dict[str, Any], service: str
    ) -> None:
        """A changed model, topic, subscriber or publisher fails here until `scripts/asyncapi`
        has written the documents again."""
        committed = json.loads(path(service).read_text(encoding="utf-8"))

        assert generated[service] == committed, f"run scripts/asyncapi: {path(service)} drifted"

    def test_there_is_one_document_per_kafka_service(self) -> None:
        """No document of a service that is gone is left behind."""
        expected = sorted(f"{s}.json" for s in SERVICES)

        assert expected == sorted(p.name for p in path(SERVICES[0]).parent.glob("*.json"))


class TestWhatTheDocumentsShow:
    @pytest.mark.parametrize("service", sorted(CONSUMERS))
    def test_a_consumer_receives_its_model_and_sends_the_dead_letters(
        self, generated: dict[str, Any], service: str
    ) -> None:
        """The subscriber's payload is its subscription's model, not an empty payload, and
        the dead-letter twin is among what the service sends."""
        subscription = CONSUMERS[service]
        found = operations(generated[service])

        assert subscription.model.__name__ == found[("receive", subscription.topic)]
        assert ("send", topics.dlq(subscription.topic)) in found

    def test_each_topic_a_service_publishes_names_its_payload_model(
        self, generated: dict[str, Any]
    ) -> None:
        """Who sends what, across the pipeline (the dead letters aside)."""
        sent = {
            (service, topic): payload
            for service in SERVICES
            for (action, topic), payload in operations(generated[service]).items()
            if action == "send" and not topic.endswith(".dlq")
        }

        assert {
            ("scheduler", topics.RUN_REQUESTS): "RunRequest",
            ("lister", topics.TICKER_BATCHES): "FetchBatch",
            ("lister", topics.RUN_EVENTS): "RunEvent",
            ("loader", topics.BATCH_LOADED): "BatchLoaded",
            ("transformer", topics.RUN_EVENTS): "RunEvent",
            ("transformer", topics.ALERTS): "alerts:Message:Payload",
            ("transformer", topics.RAW_OBJECT_EVENTS): "ObjectCreated",
        } == sent

    def test_the_alerts_payload_is_either_alert(self, generated: dict[str, Any]) -> None:
        """The alerts topic carries a failed data test or a stale source."""
        schemas = generated["transformer"]["components"]["schemas"]

        assert [
            {"$ref": "#/components/schemas/DataTestFailed"},
            {"$ref": "#/components/schemas/SourceStale"},
        ] == schemas["alerts:Message:Payload"]["anyOf"]
