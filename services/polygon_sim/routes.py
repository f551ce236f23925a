"""Starlette endpoints of the three API operations: thin shims over the pure query modules."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.polygon_sim.aggs_query import grouped_body, parse_range, range_body
from services.polygon_sim.gate import base_url, serve
from services.polygon_sim.state import SimState


async def tickers(request: Request) -> Response:
    """GET /v3/reference/tickers"""
    state: SimState = request.app.state.sim

    def build(request_id: str) -> dict[str, object]:
        page = state.catalog.page(request.query_params)
        body: dict[str, object] = {
            "results": page.rows,
            "status": "OK",
            "request_id": request_id,
            "count": len(page.rows),
        }
        if page.next_cursor is not None:
            body["next_url"] = f"{base_url(request)}/v3/reference/tickers?cursor={page.next_cursor}"
        return body

    return await serve(request, "tickers", build)


async def aggs_range(request: Request) -> Response:
    """GET /v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{from}/{to}"""
    state: SimState = request.app.state.sim
    p = request.path_params
    ticker = str(p["ticker"])

    def build(request_id: str) -> dict[str, object]:
        query = parse_range(
            ticker, p["multiplier"], p["timespan"], p["from"], p["to"], request.query_params
        )
        return range_body(state.market, query, base_url(request), request_id)

    return await serve(request, "range", build, ticker=ticker)


async def grouped(request: Request) -> Response:
    """GET /v2/aggs/grouped/locale/us/market/stocks/{date}"""
    state: SimState = request.app.state.sim

    def build(request_id: str) -> dict[str, object]:
        return grouped_body(
            state.market, request.path_params["date"], request.query_params, request_id
        )

    return await serve(request, "grouped", build)


API_ROUTES = [
    Route("/v3/reference/tickers", tickers, methods=["GET"]),
    # `path` lets a ticker hold an encoded slash; Starlette hands the segment over decoded.
    Route(
        "/v2/aggs/ticker/{ticker:path}/range/{multiplier}/{timespan}/{from}/{to}",
        aggs_range,
        methods=["GET"],
    ),
    Route("/v2/aggs/grouped/locale/us/market/stocks/{date}", grouped, methods=["GET"]),
]
