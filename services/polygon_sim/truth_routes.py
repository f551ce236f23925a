"""Simulator-only endpoints under /_sim: request counters and the fault-free ground truth."""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.polygon_sim.errors import QueryError
from services.polygon_sim.params import parse_bool
from services.polygon_sim.state import SimState
from services.polygon_sim.tickers_query import reference_row

_MAX_TRUTH_TICKERS = 1000


async def stats(request: Request) -> Response:
    """GET /_sim/stats: requests per endpoint kind and per HTTP status since the last reset."""
    state: SimState = request.app.state.sim
    return JSONResponse(state.stats.snapshot())


async def reset_stats(request: Request) -> Response:
    """POST /_sim/stats/reset: zero the counters and the fault attempt numbers."""
    state: SimState = request.app.state.sim
    state.stats.reset()
    state.faults.reset()
    return JSONResponse(state.stats.snapshot())


async def truth_bars(request: Request) -> Response:
    """GET /_sim/truth/bars?tickers=A,B&from=YYYY-MM-DD&to=YYYY-MM-DD&adjusted=true"""
    state: SimState = request.app.state.sim
    q = request.query_params
    try:
        names = [t for t in q.get("tickers", "").split(",") if t]
        if not names or len(names) > _MAX_TRUTH_TICKERS:
            raise QueryError(f"give 1 to {_MAX_TRUTH_TICKERS} comma-separated tickers")
        start, end = _day(q.get("from")), _day(q.get("to"))
        adjusted = parse_bool(q.get("adjusted"), "adjusted", default=True)
    except QueryError as exc:
        return JSONResponse({"error": str(exc)}, 400)
    bars = {t: state.market.bars(t, start, end, adjusted) for t in names}
    return JSONResponse({"adjusted": adjusted, "bars": bars})


async def truth_tickers(request: Request) -> Response:
    """GET /_sim/truth/tickers: every listing (delisted too), with its bar span and splits."""
    state: SimState = request.app.state.sim
    days = state.market.calendar.days
    out: list[dict[str, Any]] = []
    for x in state.market.tickers():
        row = reference_row(x, state.market)
        row["first_bar_date"] = days[x.first_index].isoformat()
        row["last_bar_date"] = days[x.last_index].isoformat()
        row["splits"] = [
            {"date": days[s.index].isoformat(), "split_to": s.to, "split_from": s.from_}
            for s in x.splits
        ]
        out.append(row)
    return JSONResponse({"count": len(out), "results": out})


async def truth_sessions(request: Request) -> Response:
    """GET /_sim/truth/sessions?from=&to=: the trading days of the simulated window."""
    state: SimState = request.app.state.sim
    cal = state.market.calendar
    try:
        start = _day(request.query_params.get("from") or cal.days[0].isoformat())
        end = _day(request.query_params.get("to") or cal.days[-1].isoformat())
    except QueryError as exc:
        return JSONResponse({"error": str(exc)}, 400)
    return JSONResponse({"sessions": [d.isoformat() for d in state.market.sessions(start, end)]})


def _day(raw: str | None) -> date:
    try:
        return date.fromisoformat(raw or "")
    except ValueError as exc:
        raise QueryError(f"expected a YYYY-MM-DD date, got {raw!r}") from exc


SIM_ROUTES = [
    Route("/_sim/stats", stats, methods=["GET"]),
    Route("/_sim/stats/reset", reset_stats, methods=["POST"]),
    Route("/_sim/truth/bars", truth_bars, methods=["GET"]),
    Route("/_sim/truth/tickers", truth_tickers, methods=["GET"]),
    Route("/_sim/truth/sessions", truth_sessions, methods=["GET"]),
]
