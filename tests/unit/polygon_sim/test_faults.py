"""Faults are reproducible from (seed, request, attempt), so retries can succeed."""

from __future__ import annotations

import json

import pytest

from services.polygon_sim.faults.injector import (
    FaultInjector,
    FaultPlan,
    FaultRates,
    canonical_request,
    decide,
)

from .conftest import ClientFactory

pytestmark = pytest.mark.unit

_RATES = FaultRates(seed=1, server_error=0.2, malformed=0.1, results_null=0.1, delayed=0.1)


class TestFaultDecisions:
    def test_same_request_and_attempt_same_fault(self) -> None:
        """Two injectors replaying the same requests make the same decisions."""
        requests = [f"/v2/x/{i % 7}?" for i in range(200)]
        first = [FaultInjector(_RATES).plan(r) for r in requests]
        one, two = FaultInjector(_RATES), FaultInjector(_RATES)

        assert [one.plan(r) for r in requests] == [two.plan(r) for r in requests]
        assert first != [
            FaultInjector(FaultRates(seed=2, server_error=0.5)).plan(r) for r in requests
        ]

    def test_shares_are_respected(self) -> None:
        """Over many distinct requests each fault occurs about as often as configured."""
        kinds: list[str] = [decide(_RATES, f"/r/{i}?", 0).kind for i in range(4000)]
        shares = {
            k: round(kinds.count(k) / 4000, 1)
            for k in ("server_error", "malformed", "results_null", "delayed", "none")
        }

        assert {
            "server_error": 0.2,
            "malformed": 0.1,
            "results_null": 0.1,
            "delayed": 0.1,
            "none": 0.5,
        } == shares

    def test_a_retry_gets_a_new_draw(self) -> None:
        """Some request that fails at attempt 0 succeeds at a later attempt."""
        rates = FaultRates(seed=1, server_error=0.5)
        recovered = [
            i
            for i in range(50)
            if decide(rates, f"/r/{i}?", 0).kind == "server_error"
            and decide(rates, f"/r/{i}?", 1).kind == "none"
        ]

        assert 0 < len(recovered)

    def test_api_key_and_param_order_do_not_matter(self) -> None:
        """The request identity ignores apiKey and the order of query parameters."""
        a = canonical_request("/p", [("b", "2"), ("apiKey", "k1"), ("a", "1")])
        b = canonical_request("/p", [("a", "1"), ("b", "2"), ("apiKey", "k2")])

        assert a == b

    def test_latency_stays_within_jitter(self) -> None:
        """Latency is drawn within mean +/- jitter."""
        rates = FaultRates(seed=1, latency_mean_ms=20, latency_jitter_ms=5)
        latencies = [decide(rates, f"/r/{i}?", 0).latency_s for i in range(300)]

        assert (True, True) == (min(latencies) >= 0.015, max(latencies) <= 0.025)

    def test_malformed_tickers_always_fail(self) -> None:
        """A configured ticker gets a malformed body on every attempt, others never."""
        injector = FaultInjector(FaultRates(seed=1), malformed_tickers=["XYZ"])

        assert [FaultPlan(kind="malformed")] * 3 + [FaultPlan()] == [
            injector.plan("/x?", "XYZ"),
            injector.plan("/x?", "XYZ"),
            injector.plan("/x?", "XYZ"),
            injector.plan("/y?", "ABC"),
        ]


class TestFaultsOnTheWire:
    async def test_malformed_ticker_body_is_not_json(self, sim_client: ClientFactory) -> None:
        """A malformed ticker's range answer is HTTP 200 whose body does not parse."""
        async with sim_client(malformed_tickers=["BRK.B"]) as client:
            response = await client.get("/v2/aggs/ticker/BRK.B/range/1/day/2024-01-02/2024-01-05")

        assert 200 == response.status_code
        with pytest.raises(json.JSONDecodeError):
            json.loads(response.content)

    async def test_body_faults_follow_the_draws(self, sim_client: ClientFactory) -> None:
        """Over 40 requests, each answer matches the fault decided for it (same seed)."""
        overrides = {"error_5xx_share": 0.25, "results_null_share": 0.25, "delayed_share": 0.25}
        rates = FaultRates(seed=7, server_error=0.25, results_null=0.25, delayed=0.25)
        paths = [
            f"/v2/aggs/ticker/BRK.A/range/1/day/2024-01-{d:02d}/2024-01-31" for d in range(2, 12)
        ]
        async with sim_client(**overrides) as client:
            seen = [await client.get(p) for p in paths * 4]
        expected = [decide(rates, p + "?", i // len(paths)) for i, p in enumerate(paths * 4)]

        def observed(r: object) -> str:
            import httpx

            assert isinstance(r, httpx.Response)
            if r.status_code >= 500:
                return "server_error"
            body = r.json()
            return {"DELAYED": "delayed"}.get(
                body["status"], "results_null" if body.get("results", []) is None else "none"
            )

        assert [p.kind for p in expected] == [observed(r) for r in seen]
        assert {"server_error", "results_null", "delayed", "none"} == {p.kind for p in expected}
