"""The path every API request takes: count, authenticate, rate-limit, draw faults, answer."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from services.polygon_sim.api.auth import key_problem, presented_key
from services.polygon_sim.api.errors import (
    INTERNAL,
    RATE_LIMITED,
    QueryError,
    error_body,
    not_authorized_body,
)
from services.polygon_sim.faults.injector import FaultPlan, canonical_request, truncate
from services.polygon_sim.state import SimState

Builder = Callable[[str], dict[str, Any]]


async def serve(request: Request, kind: str, build: Builder, ticker: str | None = None) -> Response:
    """Answer one API request of `kind`; `build(request_id)` makes the success body."""
    state: SimState = request.app.state.sim
    response = await _answer(state, request, build, ticker)
    state.stats.record(kind, response.status_code)
    return response


async def _answer(
    state: SimState, request: Request, build: Builder, ticker: str | None
) -> Response:
    request_id = uuid.uuid4().hex
    key = presented_key(request.headers.get("authorization"), request.query_params.get("apiKey"))
    if problem := key_problem(key, state.settings.api_keys):
        return _json(error_body(request_id, problem), 401)
    if not state.limiter.admit(str(key)):
        return _json(error_body(request_id, RATE_LIMITED), 429)
    plan = state.faults.plan(
        canonical_request(request.url.path, request.query_params.multi_items()), ticker
    )
    if plan.latency_s > 0:
        await asyncio.sleep(plan.latency_s)
    if plan.kind == "server_error":
        return _json(error_body(request_id, INTERNAL), plan.status)
    if ticker is not None and ticker in state.settings.unentitled_tickers:
        return _json(not_authorized_body(request_id), 403)
    try:
        body = build(request_id)
    except QueryError as exc:
        return _json(error_body(request_id, str(exc)), 400)
    return _faulty(body, plan)


def _faulty(body: dict[str, Any], plan: FaultPlan) -> Response:
    if plan.kind == "results_null":
        body["results"] = None
    elif plan.kind == "delayed":
        body["status"] = "DELAYED"
    payload = orjson.dumps(body)
    if plan.kind == "malformed":
        payload = truncate(payload)
    return Response(payload, 200, media_type="application/json")


def _json(body: dict[str, Any], status: int) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")


def base_url(request: Request) -> str:
    """The simulator's own base URL as the client reached it, without a trailing slash."""
    return str(request.base_url).rstrip("/")
