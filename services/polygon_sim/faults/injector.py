"""Reproducible fault injection: latency, 5xx, truncated bodies, `results: null`, `DELAYED`.

Each decision is a pure function of (seed, request, attempt), where the request is the path
plus its sorted query without `apiKey` and the attempt counts earlier identical requests. A
retried request thus gets a fresh, but still predictable, draw.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Literal

from services.polygon_sim.market.hashing import uniform_scalar

Kind = Literal["none", "server_error", "malformed", "results_null", "delayed"]
_SERVER_ERRORS = (500, 502, 503, 504)
_MAX_TRACKED = 1_000_000  # distinct requests remembered; beyond that, attempts start over


@dataclass(frozen=True, slots=True)
class FaultRates:
    """How often each fault happens (shares of requests) and how long answers take."""

    seed: int
    latency_mean_ms: float = 0.0
    latency_jitter_ms: float = 0.0
    server_error: float = 0.0
    malformed: float = 0.0
    results_null: float = 0.0
    delayed: float = 0.0

    @property
    def active(self) -> bool:
        """Whether any draw can differ from 'no fault, no delay'."""
        return any(
            (
                self.latency_mean_ms,
                self.latency_jitter_ms,
                self.server_error,
                self.malformed,
                self.results_null,
                self.delayed,
            )
        )


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """What to do to one answer."""

    kind: Kind = "none"
    latency_s: float = 0.0
    status: int = 200


def canonical_request(path: str, query: Iterable[tuple[str, str]]) -> str:
    """The identity of a request for fault draws: the path and its sorted query, minus apiKey."""
    kept = sorted((k, v) for k, v in query if k != "apiKey")
    return path + "?" + "&".join(f"{k}={v}" for k, v in kept)


def decide(rates: FaultRates, request: str, attempt: int) -> FaultPlan:
    """The fault for the `attempt`-th (0-based) occurrence of `request`."""
    if not rates.active:
        return FaultPlan()
    u = uniform_scalar("fault", rates.seed, request, attempt)
    jitter = 2.0 * uniform_scalar("latency", rates.seed, request, attempt) - 1.0
    latency_ms = max(0.0, rates.latency_mean_ms + rates.latency_jitter_ms * jitter)
    edges: tuple[tuple[Kind, float], ...] = (
        ("server_error", rates.server_error),
        ("malformed", rates.malformed),
        ("results_null", rates.results_null),
        ("delayed", rates.delayed),
    )
    bound = 0.0
    for kind, share in edges:
        if u < bound + share:
            status = (
                _SERVER_ERRORS[int((u - bound) / share * 4) % 4] if kind == "server_error" else 200
            )
            return FaultPlan(kind=kind, latency_s=latency_ms / 1000, status=status)
        bound += share
    return FaultPlan(latency_s=latency_ms / 1000)


def truncate(payload: bytes) -> bytes:
    """A body cut in half: never valid JSON, since the closing brace is gone."""
    return payload[: max(1, len(payload) // 2)]


class FaultInjector:
    """Counts attempts per request and applies `decide`, plus tickers that always fail."""

    def __init__(self, rates: FaultRates, malformed_tickers: Collection[str] = ()) -> None:
        self._rates = rates
        self._malformed_tickers = frozenset(malformed_tickers)
        self._attempts: dict[str, int] = {}

    def plan(self, request: str, ticker: str | None = None) -> FaultPlan:
        """The fault for this occurrence of `request` (for `ticker`, on the range endpoint)."""
        if ticker is not None and ticker in self._malformed_tickers:
            return FaultPlan(kind="malformed")
        if not self._rates.active:
            return FaultPlan()
        if len(self._attempts) >= _MAX_TRACKED:
            self._attempts.clear()
        attempt = self._attempts.get(request, 0)
        self._attempts[request] = attempt + 1
        return decide(self._rates, request, attempt)

    def reset(self) -> None:
        """Start counting attempts from zero again."""
        self._attempts.clear()
