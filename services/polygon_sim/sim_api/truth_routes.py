"""Simulator-only endpoints under /_sim: request counters and the fault-free ground truth."""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.polygon_sim.api.errors import QueryError
from services.polygon_sim.api.params import parse_bool
from services.polygon_sim.api.tickers_query import reference_row
from services.polygon_sim.corporate_actions.store import Kind
from services.polygon_sim.state import SimState

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
    today = state.clock.today
    bars = {t: state.market.bars(t, start, end, adjusted, today) for t in names}
    return JSONResponse({"adjusted": adjusted, "bars": bars})


async def truth_tickers(request: Request) -> Response:
    """GET /_sim/truth/tickers: every listing at the clock (delisted too), its bar span, splits
    executed by then."""
    state: SimState = request.app.state.sim
    days, today = state.market.calendar.days, state.clock.today
    out: list[dict[str, Any]] = []
    for x in state.market.tickers(today):
        row = reference_row(x, state.market, today)
        row["first_bar_date"] = days[x.first_index].isoformat()
        row["last_bar_date"] = days[x.last_index].isoformat()
        row["splits"] = [
            {"date": days[s.index].isoformat(), "split_to": s.to, "split_from": s.from_}
            for s in x.splits
            if s.index <= x.last_index
        ]
        out.append(row)
    return JSONResponse({"count": len(out), "results": out})


async def truth_sessions(request: Request) -> Response:
    """GET /_sim/truth/sessions?from=&to=: the trading days of the simulated window."""
    state: SimState = request.app.state.sim
    cal = state.market.calendar
    try:
        start = _day(request.query_params.get("from") or cal.days[0].isoformat())
        end = _day(request.query_params.get("to") or state.clock.today.isoformat())
    except QueryError as exc:
        return JSONResponse({"error": str(exc)}, 400)
    sessions = state.market.sessions(start, end, state.clock.today)
    return JSONResponse({"sessions": [d.isoformat() for d in sessions]})


async def truth_splits(request: Request) -> Response:
    """GET /_sim/truth/splits?tickers=A,B&from=&to=: genuine splits known at the clock."""
    return _truth_actions(request, "splits")


async def truth_dividends(request: Request) -> Response:
    """GET /_sim/truth/dividends?tickers=A,B&from=&to=: genuine dividends known at the clock."""
    return _truth_actions(request, "dividends")


async def truth_bad_actions(request: Request) -> Response:
    """GET /_sim/truth/bad_corporate_actions: the hostile events SIM_BAD_CORPORATE_ACTIONS adds."""
    state: SimState = request.app.state.sim
    enabled = state.settings.bad_corporate_actions
    bad = state.market.corporate_actions(True).bad if enabled else ()
    today = state.clock.today.isoformat()
    return JSONResponse({"enabled": enabled, "events": [b.as_json(today) for b in bad]})


def _truth_actions(request: Request, kind: Kind) -> Response:
    state: SimState = request.app.state.sim
    q = request.query_params
    try:
        names = [t for t in q.get("tickers", "").split(",") if t] or None
        start = _day(q["from"]) if q.get("from") else None
        end = _day(q["to"]) if q.get("to") else None
    except QueryError as exc:
        return JSONResponse({"error": str(exc)}, 400)
    rows = state.market.corporate_actions().truth(kind, names, start, end, state.clock.today)
    return JSONResponse({kind: rows})


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
    Route("/_sim/truth/splits", truth_splits, methods=["GET"]),
    Route("/_sim/truth/dividends", truth_dividends, methods=["GET"]),
    Route("/_sim/truth/bad_corporate_actions", truth_bad_actions, methods=["GET"]),
]
