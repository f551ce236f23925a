"""The two aggregates endpoints as pure functions from parsed parameters to response bodies."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any
from urllib.parse import quote

from services.polygon_sim.api.cursor import CursorError, decode_cursor, encode_cursor
from services.polygon_sim.api.errors import QueryError
from services.polygon_sim.api.params import parse_bool, parse_limit
from services.polygon_sim.market.calendar import ms_to_ny_date, ny_ms
from services.polygon_sim.market.market import Market

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIMESPANS = ("second", "minute", "hour", "day", "week", "month", "quarter", "year")


@dataclass(frozen=True, slots=True)
class RangeQuery:
    """A parsed range request: bars whose start (NY midnight, ms) lies in [from_ms, to_ms]."""

    ticker: str
    from_ms: int
    to_ms: int
    from_raw: str  # next_url keeps the bound it does not move as the client wrote it
    to_raw: str
    adjusted: bool
    descending: bool
    limit: int


def parse_range(
    ticker: str, multiplier: str, timespan: str, from_: str, to: str, params: Mapping[str, str]
) -> RangeQuery:
    """Validate a range request; the cursor of a `next_url` supplies the query parameters."""
    if cursor := params.get("cursor"):
        try:
            params = decode_cursor(cursor)
        except CursorError as exc:
            raise QueryError("The cursor is invalid.") from exc
    if timespan not in _TIMESPANS:
        raise QueryError(f"The path parameter `timespan` with value {timespan} is invalid.")
    if (multiplier, timespan) != ("1", "day"):
        raise QueryError("This simulator serves only 1/day aggregates.")
    sort = params.get("sort", "asc")
    if sort not in ("asc", "desc"):
        raise QueryError(f"The parameter 'sort' with value '{sort}' is invalid.")
    return RangeQuery(
        ticker=ticker,
        from_ms=_instant(from_, "from"),
        to_ms=_instant(to, "to"),
        from_raw=from_,
        to_raw=to,
        adjusted=parse_bool(params.get("adjusted"), "adjusted", default=True),
        descending=sort == "desc",
        limit=parse_limit(params.get("limit"), default=5000, maximum=50_000),
    )


def range_body(
    market: Market, q: RangeQuery, base_url: str, request_id: str, today: date | None = None
) -> dict[str, Any]:
    """The range answer up to `today`: at most `limit` bars and, when more remain, a `next_url`."""
    lo, hi = market.calendar.span_ms(q.from_ms, q.to_ms)
    rows = market.range_rows(q.ticker, lo, hi, q.adjusted, today)
    if q.descending:
        rows.reverse()
    page = rows[: q.limit]
    body: dict[str, Any] = {
        "ticker": q.ticker,
        "queryCount": len(page),
        "resultsCount": len(page),
        "adjusted": q.adjusted,
    }
    if page:
        body["results"] = page
    body.update(status="OK", request_id=request_id)
    if page:
        body["count"] = len(page)
    if len(rows) > q.limit:
        body["next_url"] = _next_url(q, page[-1]["t"], base_url)
    return body


def _next_url(q: RangeQuery, last_t: int, base_url: str) -> str:
    # The window after (or, descending, before) the last bar becomes the new from (or to).
    step = timedelta(days=-1 if q.descending else 1)
    edge = ny_ms(ms_to_ny_date(last_t) + step, time(0))
    lower, upper = (q.from_raw, str(edge)) if q.descending else (str(edge), q.to_raw)
    cursor = encode_cursor(
        {
            "adjusted": str(q.adjusted).lower(),
            "limit": str(q.limit),
            "sort": "desc" if q.descending else "asc",
        }
    )
    return (
        f"{base_url}/v2/aggs/ticker/{quote(q.ticker, safe='')}/range/1/day/"
        f"{lower}/{upper}?cursor={cursor}"
    )


def grouped_body(
    market: Market,
    day: str,
    params: Mapping[str, str],
    request_id: str,
    today: date | None = None,
) -> dict[str, Any]:
    """The grouped-daily answer for one date: the whole market, no pagination; none after today."""
    when = _date(day, "date")
    adjusted = parse_bool(params.get("adjusted"), "adjusted", default=True)
    include_otc = parse_bool(params.get("include_otc"), "include_otc", default=False)
    rows = market.grouped(when, adjusted, include_otc, today)
    body: dict[str, Any] = {
        "queryCount": len(rows),
        "resultsCount": len(rows),
        "adjusted": adjusted,
    }
    if rows:
        body["results"] = rows
    body.update(status="OK", request_id=request_id)
    if rows:
        body["count"] = len(rows)
    return body


def _instant(raw: str, name: str) -> int:
    """A path bound as Unix ms: a date means that day's New York midnight."""
    if raw.isdigit():
        return int(raw)
    if _DATE.match(raw):
        return ny_ms(_date(raw, name), time(0))
    raise QueryError(
        f"Could not parse the time parameter: '{name}'. Use YYYY-MM-DD or Unix MS Timestamps"
    )


def _date(raw: str, name: str) -> date:
    try:
        if _DATE.match(raw):
            return date.fromisoformat(raw)
    except ValueError:
        pass
    raise QueryError(
        f"The path parameter `{name}` with value {raw} is invalid, "
        "must be of the format YYYY-MM-DD."
    )
