"""Typed errors of the Polygon client; `kind` is the short code recorded per failed ticker."""

from __future__ import annotations

from typing import ClassVar


class PolygonError(Exception):
    """Any failure of a Polygon request. Messages never carry the API key (callers redact)."""

    kind: ClassVar[str] = "polygon_error"

    def __init__(self, detail: str, *, status: int | None = None, url: str = "") -> None:
        self.detail = detail
        self.status = status
        self.url = url
        where = f" HTTP {status}" if status is not None else ""
        on = f" {url}" if url else ""
        super().__init__(f"{self.kind}:{where}{on}: {detail}")


class PolygonAuthError(PolygonError):
    """401: the key is unknown or missing. Permanent."""

    kind = "auth"


class PolygonNotEntitled(PolygonError):
    """403: the plan does not cover this data (or this far back). Permanent."""

    kind = "not_entitled"


class PolygonNotFound(PolygonError):
    """404. Permanent. (Unknown tickers on the aggs endpoint come back empty, not 404.)"""

    kind = "not_found"


class PolygonBadRequest(PolygonError):
    """400 (or another 4xx we do not retry): the request itself is wrong. Permanent."""

    kind = "bad_request"


class PolygonMalformedResponse(PolygonError):
    """A 2xx body that is not JSON or does not have the expected shape."""

    kind = "malformed_response"


class PolygonIncompleteResponse(PolygonError):
    """`results` missing or null although the body counts results (`resultsCount`/`count` > 0).

    The real API's empty answer counts 0; a positive count without rows is a glitch (the
    simulator injects it), so this one IS retried, and ends as PolygonGaveUp if it persists.
    """

    kind = "incomplete_response"


class PolygonUnexpectedStatus(PolygonError):
    """A 2xx body whose `status` is neither OK nor DELAYED, or an HTTP code we do not know."""

    kind = "unexpected_status"


class PolygonPaginationLoop(PolygonError):
    """`next_url` pointed back to a page already fetched."""

    kind = "pagination_loop"


class PolygonGaveUp(PolygonError):
    """Transient failures (429, 5xx, timeouts, dropped connections) outlasted `max_retry_s`."""

    kind = "gave_up"

    def __init__(
        self, detail: str, *, status: int | None = None, url: str = "", attempts: int
    ) -> None:
        self.attempts = attempts
        super().__init__(f"{detail} (after {attempts} attempts)", status=status, url=url)


__all__ = [
    "PolygonAuthError",
    "PolygonBadRequest",
    "PolygonError",
    "PolygonGaveUp",
    "PolygonIncompleteResponse",
    "PolygonMalformedResponse",
    "PolygonNotEntitled",
    "PolygonNotFound",
    "PolygonPaginationLoop",
    "PolygonUnexpectedStatus",
]
