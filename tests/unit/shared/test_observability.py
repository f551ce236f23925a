"""The observability port: /health answers while the service lives, /ready follows the broker,
/metrics serves Prometheus text even while the readiness check fails, and a taken port is not
fatal."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client import CollectorRegistry, Counter

from shared.observability import (
    CallbackCounter,
    MetricsSettings,
    ObservabilityServer,
    register_callback_counter,
)
from shared.observability.metrics import dead_letter_reason

pytestmark = pytest.mark.unit


class Broker:
    def __init__(self) -> None:
        self.connected = False
        self.fail = False

    async def ping(self) -> bool:
        if self.fail:
            raise ConnectionError("broker gone")
        return self.connected


@pytest.fixture
async def served() -> AsyncIterator[tuple[httpx.AsyncClient, Broker, Counter]]:
    registry = CollectorRegistry()
    counter = Counter("t_things", "things", ["kind"], registry=registry)
    broker = Broker()
    server = ObservabilityServer(MetricsSettings(port=0), broker.ping, registry)
    await server.start()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
        yield client, broker, counter
    await server.stop()


class TestHealth:
    async def test_live_but_not_ready_until_the_broker_connects(
        self, served: tuple[httpx.AsyncClient, Broker, Counter]
    ) -> None:
        client, broker, _ = served

        before = [(await client.get(p)).status_code for p in ("/health", "/ready")]
        broker.connected = True
        after = [(await client.get(p)).status_code for p in ("/health", "/ready")]

        assert ([200, 503], [200, 200]) == (before, after)

    async def test_a_failing_check_is_not_ready_not_an_error(
        self, served: tuple[httpx.AsyncClient, Broker, Counter]
    ) -> None:
        client, broker, _ = served
        broker.fail = True

        r = await client.get("/health")

        assert (200, {"live": True, "ready": False}) == (r.status_code, r.json())


class TestMetrics:
    async def test_counters_in_prometheus_text_while_failing(
        self, served: tuple[httpx.AsyncClient, Broker, Counter]
    ) -> None:
        """A scrape during a failure still answers, with the counts so far."""
        client, broker, counter = served
        broker.fail = True
        counter.labels("a").inc(3)

        r = await client.get("/metrics")

        assert (200, True) == (r.status_code, 't_things_total{kind="a"} 3.0' in r.text)

    async def test_an_unknown_path_is_404(
        self, served: tuple[httpx.AsyncClient, Broker, Counter]
    ) -> None:
        client, _, _ = served

        assert 404 == (await client.get("/nope")).status_code

    def test_a_callback_counter_reads_at_scrape_time(self) -> None:
        registry = CollectorRegistry()
        counts = {"200": 5.0}
        register_callback_counter(CallbackCounter("t_req", "r", "status", lambda: counts), registry)
        counts["429"] = 2.0

        assert (5.0, 2.0) == (
            registry.get_sample_value("t_req_total", {"status": "200"}),
            registry.get_sample_value("t_req_total", {"status": "429"}),
        )

    @pytest.mark.parametrize(
        ("reason", "label"),
        [
            ("invalid RunRequest: body: bad", "invalid"),
            ("gave up after 10 attempts: X", "gave_up"),
            ("unknown run 'x'", "permanent"),
        ],
    )
    def test_dead_letter_reasons_are_a_few_kinds(self, reason: str, label: str) -> None:
        """The label set stays bounded whatever the reason's text."""
        assert label == dead_letter_reason(reason)


class TestPortTaken:
    async def test_a_taken_port_is_logged_not_fatal(self) -> None:
        first = ObservabilityServer(MetricsSettings(port=0), Broker().ping)
        await first.start()
        second = ObservabilityServer(MetricsSettings(port=first.port or 0), Broker().ping)

        await second.start()
        await first.stop()

        assert second.port is None

    async def test_a_silent_client_does_not_hold_the_server(self) -> None:
        server = ObservabilityServer(MetricsSettings(port=0), Broker().ping)
        await server.start()
        _, writer = await asyncio.open_connection("127.0.0.1", server.port)
        async with httpx.AsyncClient() as client:
            r = await client.get(f"http://127.0.0.1:{server.port}/health")
        writer.close()
        await server.stop()

        assert 200 == r.status_code
