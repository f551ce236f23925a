"""Simulator-only endpoints that read and move the clock (GET / POST /_sim/clock)."""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.polygon_sim.clock import ClockError
from services.polygon_sim.state import SimState


async def read_clock(request: Request) -> Response:
    """GET /_sim/clock: today, and the span it may move within."""
    state: SimState = request.app.state.sim
    return JSONResponse(_clock(state))


async def move_clock(request: Request) -> Response:
    """POST /_sim/clock {"today": "YYYY-MM-DD"}: move today forward (400 backwards or malformed)."""
    state: SimState = request.app.state.sim
    try:
        body = await request.json()
        state.clock.move_to(date.fromisoformat(body["today"]))
    except ClockError as exc:
        return JSONResponse({"error": str(exc)}, 400)
    except (ValueError, TypeError, KeyError):
        return JSONResponse({"error": 'expected a JSON body {"today": "YYYY-MM-DD"}'}, 400)
    return JSONResponse(_clock(state))


def _clock(state: SimState) -> dict[str, Any]:
    market = state.market
    return {
        "today": state.clock.today.isoformat(),
        "history_start": market.history_start.isoformat(),
        "history_end": market.history_end.isoformat(),
        "horizon_end": market.horizon_end.isoformat(),
    }


CLOCK_ROUTES = [
    Route("/_sim/clock", read_clock, methods=["GET"]),
    Route("/_sim/clock", move_clock, methods=["POST"]),
]
