"""Error bodies with the real API's shapes: `ERROR` + `error`, or `NOT_AUTHORIZED` + `message`."""

from __future__ import annotations

from typing import Any

NO_KEY = "API Key was not provided"
UNKNOWN_KEY = "Unknown API Key"
RATE_LIMITED = (
    "You've exceeded the maximum requests per minute, please wait or upgrade your subscription"
    " to continue. https://massive.com/pricing"
)
NOT_ENTITLED = (
    "You are not entitled to this data. Please upgrade your plan at https://massive.com/pricing"
)
INTERNAL = "Internal server error"


class QueryError(ValueError):
    """A request the API answers with 400: the text goes into the body's `error`."""


def error_body(request_id: str, text: str) -> dict[str, Any]:
    """The body of 400, 401, 429 and 5xx answers."""
    return {"status": "ERROR", "request_id": request_id, "error": text}


def not_authorized_body(request_id: str) -> dict[str, Any]:
    """The body of a 403 for data outside the key's plan."""
    return {"status": "NOT_AUTHORIZED", "request_id": request_id, "message": NOT_ENTITLED}
