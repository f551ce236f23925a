"""Test doubles of the Polygon client's seams: clock+sleep, rate limiter, jitter, scripted HTTP."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import httpx

from shared.clients.polygon import PolygonClient
from shared.settings import PolygonSettings

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "polygon"
API_KEY = "sk-test-S3CRET-KEY-0123456789"
BASE_URL = "http://polygon.test"

Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def fixture_body(name: str) -> dict[str, Any]:
    """A recorded response body from tests/fixtures/polygon/."""
    body: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return body


def ok(body: dict[str, Any], **headers: str) -> httpx.Response:
    return httpx.Response(200, json=body, headers=headers)


def make_settings(**overrides: Any) -> PolygonSettings:
    """Settings from keyword arguments only (no environment, no .env)."""
    values: dict[str, Any] = dict(
        api_key=API_KEY,
        base_url=BASE_URL,
        timeout_s=5.0,
        max_retry_s=60.0,
        rate_limit_per_s=1000.0,
        backoff_base_s=1.0,
        backoff_cap_s=8.0,
    )
    values.update(overrides)
    return PolygonSettings(_env_file=None, **values)


class FakeClock:
    """A monotonic clock that only the fake sleep moves; records every sleep."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class CountingLimiter:
    """A RateLimiter that never waits and counts permits."""

    def __init__(self) -> None:
        self.acquired = 0

    async def acquire(self) -> None:
        self.acquired += 1


class MaxJitter(random.Random):
    """Jitter that always picks the top of the range, so backoff delays are exact."""

    def uniform(self, a: float, b: float) -> float:
        return b


class Script:
    """A MockTransport handler answering from a queue; records every request it saw."""

    def __init__(self, replies: Iterable[Reply]) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, httpx.Response):
            return reply
        return reply(request)


class Harness:
    """A client wired to a Script, a FakeClock and a CountingLimiter."""

    def __init__(self, replies: Iterable[Reply], **settings: Any) -> None:
        self.script = Script(replies)
        self.clock = FakeClock()
        self.limiter = CountingLimiter()
        self.client = PolygonClient(
            make_settings(**settings),
            rate_limiter=self.limiter,
            transport=httpx.MockTransport(self.script),
            sleep=self.clock.sleep,
            clock=self.clock,
            rng=MaxJitter(),
        )

    @property
    def paths(self) -> list[str]:
        return [r.url.raw_path.decode() for r in self.script.requests]
