"""`GET /v3/reference/splits` and `/v3/reference/dividends`: parameters in, a page body out."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.polygon_sim.api.cursor import CursorError, decode_cursor, encode_cursor
from services.polygon_sim.api.errors import QueryError
from services.polygon_sim.api.params import parse_bool, parse_limit
from services.polygon_sim.corporate_actions.book import BookQuery, EventBook
from services.polygon_sim.corporate_actions.events import DIVIDEND_TYPES

_OPS = {"": "eq", ".gt": "gt", ".gte": "gte", ".lt": "lt", ".lte": "lte"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class Kind:
    """What differs between the two endpoints: paths, the date field, the extra filters."""

    path: str
    day_field: str  # the date the API sorts on by default
    date_columns: tuple[str, ...] = ()  # other date fields with their own filters
    number_columns: tuple[str, ...] = ()
    sorts: tuple[str, ...] = ()  # sort values the API knows but the simulator does not serve


SPLITS = Kind("/v3/reference/splits", "execution_date")
DIVIDENDS = Kind(
    "/v3/reference/dividends",
    "ex_dividend_date",
    date_columns=("record_date", "declaration_date", "pay_date"),
    number_columns=("cash_amount",),
    sorts=("pay_date", "declaration_date", "record_date", "cash_amount"),
)


def _carried(kind: Kind) -> tuple[str, ...]:
    """The parameters that select and order rows; they travel inside the cursor."""
    ranged = ("ticker", kind.day_field, *kind.date_columns, *kind.number_columns)
    flags = ("reverse_split",) if kind is SPLITS else ("frequency", "dividend_type")
    return (*(f + op for f in ranged for op in _OPS), *flags, "sort", "order", "limit")


def page_body(
    kind: Kind,
    book: EventBook,
    params: Mapping[str, str],
    today: date,
    base_url: str,
    request_id: str,
) -> dict[str, Any]:
    """The answer to one request: a page of events known at `today`, and `next_url` if more."""
    marker = None
    if cursor := params.get("cursor"):
        try:
            params = decode_cursor(cursor)
            marker = int(params.pop("page_marker"))
        except (CursorError, KeyError, ValueError) as exc:
            raise QueryError("The cursor is invalid.") from exc
    carried = {k: params[k] for k in _carried(kind) if k in params and params[k] != ""}
    page = book.page(parse_query(kind, carried), today.toordinal(), marker)
    body: dict[str, Any] = {"results": page.rows, "status": "OK", "request_id": request_id}
    if page.next_marker is not None:
        cursor = encode_cursor({**carried, "page_marker": str(page.next_marker)})
        body["next_url"] = f"{base_url}{kind.path}?cursor={cursor}"
    return body


def parse_query(kind: Kind, q: Mapping[str, str]) -> BookQuery:
    """The book query of validated parameters; 400 texts follow the API's wording."""
    sort = q.get("sort", kind.day_field)
    if sort in kind.sorts:
        raise QueryError(f"The simulator does not serve sort={sort}; use {kind.day_field}.")
    if sort not in (kind.day_field, "ticker"):
        raise QueryError(f"The parameter 'sort' with value '{sort}' is invalid.")
    # The API answers newest first unless told otherwise.
    order = q.get("order", "desc")
    if order not in ("asc", "desc"):
        raise QueryError(f"The parameter 'order' with value '{order}' is invalid.")
    columns = [
        (f, op, float(_date(q, f + suffix)))
        for f in kind.date_columns
        for suffix, op in _OPS.items()
        if f + suffix in q
    ]
    columns += [
        (f, op, _number(q, f + suffix))
        for f in kind.number_columns
        for suffix, op in _OPS.items()
        if f + suffix in q
    ]
    columns += _flags(kind, q)
    return BookQuery(
        tickers={op: q["ticker" + s] for s, op in _OPS.items() if "ticker" + s in q},
        days={
            op: _date(q, kind.day_field + s) for s, op in _OPS.items() if kind.day_field + s in q
        },
        columns=tuple(columns),
        by_ticker=sort == "ticker",
        descending=order == "desc",
        limit=parse_limit(q.get("limit"), default=10, maximum=1000),
    )


def _flags(kind: Kind, q: Mapping[str, str]) -> list[tuple[str, str, float]]:
    out: list[tuple[str, str, float]] = []
    if "reverse_split" in q:
        out.append(("reverse", "eq", float(parse_bool(q["reverse_split"], "reverse_split", False))))
    if "frequency" in q:
        frequency = q["frequency"]
        if frequency not in ("0", "1", "2", "4", "12"):
            raise QueryError(f"The parameter 'frequency' with value '{frequency}' is invalid.")
        out.append(("frequency", "eq", float(frequency)))
    if "dividend_type" in q:
        kind_code = q["dividend_type"]
        if kind_code not in DIVIDEND_TYPES:
            raise QueryError(f"The parameter 'dividend_type' with value '{kind_code}' is invalid.")
        out.append(("dividend_type", "eq", float(DIVIDEND_TYPES.index(kind_code))))
    return out


def _date(q: Mapping[str, str], name: str) -> int:
    raw = q[name]
    try:
        if _DATE.match(raw):
            return date.fromisoformat(raw).toordinal()
    except ValueError:
        pass
    raise QueryError(
        f"The parameter '{name}' with value '{raw}' is invalid, must be of the format YYYY-MM-DD."
    )


def _number(q: Mapping[str, str], name: str) -> float:
    try:
        return float(q[name])
    except ValueError as exc:
        raise QueryError(f"The parameter '{name}' with value '{q[name]}' is not a number.") from exc
