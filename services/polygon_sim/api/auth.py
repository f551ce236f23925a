"""API keys (Bearer header or `apiKey` query) and the per-key request-rate limit."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Collection

from services.polygon_sim.api.errors import NO_KEY, UNKNOWN_KEY


def presented_key(authorization: str | None, api_key_param: str | None) -> str | None:
    """The key a request carries: the Bearer header wins over the `apiKey` query parameter."""
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    return api_key_param or None


def key_problem(key: str | None, accepted: Collection[str]) -> str | None:
    """The 401 error text for a missing or unknown key, or None when the key is accepted."""
    if key is None:
        return NO_KEY
    return None if key in accepted else UNKNOWN_KEY


class RateLimiter:
    """A sliding-window budget of `limit` requests per `window_s` seconds for each key.

    Only admitted requests use budget, so a client that keeps retrying while limited is let
    back in once its window has moved on. A limit of 0 admits everything.
    """

    def __init__(
        self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limit = limit
        self._window = window_s
        self._clock = clock
        self._admitted: dict[str, deque[float]] = {}

    def admit(self, key: str) -> bool:
        """Whether a request by `key` is within budget now (and, if so, charge it)."""
        if self._limit <= 0:
            return True
        now = self._clock()
        times = self._admitted.setdefault(key, deque())
        while times and times[0] <= now - self._window:
            times.popleft()
        if len(times) >= self._limit:
            return False
        times.append(now)
        return True
