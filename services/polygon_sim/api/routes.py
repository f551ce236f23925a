"""Starlette endpoints of the API operations: thin shims over the pure query modules."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.polygon_sim.api.actions_query import DIVIDENDS, SPLITS, page_body
from services.polygon_sim.api.aggs_query import grouped_body, parse_range, range_body
from services.polygon_sim.api.gate import base_url, serve
from services.polygon_sim.state import SimState


async def tickers(request: Request) -> Response:
    """GET /v3/reference/tickers"""
    state: SimState = request.app.state.sim

    def build(request_id: str) -> dict[str, object]:
        page = state.catalog.page(request.query_params, state.clock.today)
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
        return range_body(state.market, query, base_url(request), request_id, state.clock.today)

    return await serve(request, "range", build, ticker=ticker)


async def grouped(request: Request) -> Response:
    """GET /v2/aggs/grouped/locale/us/market/stocks/{date}"""
    state: SimState = request.app.state.sim

    def build(request_id: str) -> dict[str, object]:
        return grouped_body(
            state.market,
            request.path_params["date"],
            request.query_params,
            request_id,
            state.clock.today,
        )

    return await serve(request, "grouped", build)


async def splits(request: Request) -> Response:
    """GET /v3/reference/splits"""
    state: SimState = request.app.state.sim

    def build(request_id: str) -> dict[str, object]:
        book = state.market.corporate_actions(state.settings.bad_corporate_actions).splits
        params = request.query_params
        return page_body(SPLITS, book, params, state.clock.today, base_url(request), request_id)

    return await serve(request, "splits", build)


async def dividends(request: Request) -> Response:
    """GET /v3/reference/dividends"""
    state: SimState = request.app.state.sim

    def build(request_id: str) -> dict[str, object]:
        book = state.market.corporate_actions(state.settings.bad_corporate_actions).dividends
        params = request.query_params
        return page_body(DIVIDENDS, book, params, state.clock.today, base_url(request), request_id)

    return await serve(request, "dividends", build)


API_ROUTES = [
    Route("/v3/reference/tickers", tickers, methods=["GET"]),
    # `path` lets a ticker hold an encoded slash; Starlette hands the segment over decoded.
    Route(
        "/v2/aggs/ticker/{ticker:path}/range/{multiplier}/{timespan}/{from}/{to}",
        aggs_range,
        methods=["GET"],
    ),
    Route("/v2/aggs/grouped/locale/us/market/stocks/{date}", grouped, methods=["GET"]),
    Route("/v3/reference/splits", splits, methods=["GET"]),
    Route("/v3/reference/dividends", dividends, methods=["GET"]),
]
