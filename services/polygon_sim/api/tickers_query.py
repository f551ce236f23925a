"""`GET /v3/reference/tickers`: filters, sorting and cursor pages over the universe (pure logic)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.polygon_sim.api.cursor import CursorError, decode_cursor, encode_cursor
from services.polygon_sim.api.errors import QueryError
from services.polygon_sim.api.params import parse_bool, parse_limit
from services.polygon_sim.market.market import Market
from services.polygon_sim.market.universe import Listing

_MARKETS = ("stocks", "crypto", "fx", "otc", "indices")
_SORTS = (
    "ticker",
    "name",
    "market",
    "locale",
    "primary_exchange",
    "type",
    "currency_name",
    "cik",
    "composite_figi",
    "share_class_figi",
    "last_updated_utc",
    "delisted_utc",
)
_RANGES = {
    "ticker.gt": str.__gt__,
    "ticker.gte": str.__ge__,
    "ticker.lt": str.__lt__,
    "ticker.lte": str.__le__,
}
# Parameters that select and order rows; they travel inside the cursor.
_CARRIED = (
    "market",
    "active",
    "type",
    "ticker",
    *_RANGES,
    "exchange",
    "cik",
    "search",
    "sort",
    "order",
    "limit",
)


def reference_row(x: Listing, market: Market, today: date | None = None) -> dict[str, Any]:
    """A ticker as the API lists it at `today` (a listing seen from then, see `Market.tickers`):
    optional fields absent rather than null."""
    row: dict[str, Any] = {"ticker": x.ticker, "name": x.name, "market": x.market, "locale": "us"}
    if x.primary_exchange:
        row["primary_exchange"] = x.primary_exchange
    row.update(type=x.type, active=not x.delisted, currency_name="usd")
    for key in ("cik", "composite_figi", "share_class_figi"):
        if (value := getattr(x, key)) is not None:
            row[key] = value
    last_day = market.calendar.days[x.last_index] if x.delisted else today or market.history_end
    row["last_updated_utc"] = f"{last_day.isoformat()}T00:00:00Z"
    if x.delisted:
        row["delisted_utc"] = f"{last_day.isoformat()}T00:00:00Z"
    return row


@dataclass(frozen=True, slots=True)
class TickerPage:
    """One page of rows and the cursor of the next page, if any."""

    rows: list[dict[str, Any]]
    next_cursor: str | None


class TickerCatalog:
    """Answers ticker queries, keeping the last few filtered and sorted lists for paging."""

    def __init__(self, market: Market) -> None:
        self._market = market
        self._today: date | None = None
        self._rows: list[dict[str, Any]] = []
        self._cache: dict[tuple[tuple[str, str], ...], list[dict[str, Any]]] = {}

    def page(self, params: Mapping[str, str], today: date | None = None) -> TickerPage:
        """The page a request asks for at `today`; a `cursor` replaces every other parameter."""
        today = today or self._market.history_end
        if today != self._today:  # the clock moved: listings and delistings may have happened
            self._today, self._cache = today, {}
            self._rows = [
                reference_row(x, self._market, today) for x in self._market.tickers(today)
            ]
        offset = 0
        if cursor := params.get("cursor"):
            try:
                params = decode_cursor(cursor)
                offset = int(params.pop("page_marker"))
            except (CursorError, KeyError, ValueError) as exc:
                raise QueryError("The cursor is invalid.") from exc
        query = {k: params[k] for k in _CARRIED if k in params}
        limit = parse_limit(query.get("limit"), default=100, maximum=1000)
        rows = self._matching(tuple(sorted((k, v) for k, v in query.items() if k != "limit")))
        chunk = rows[offset : offset + limit]
        if offset + limit >= len(rows):
            return TickerPage(chunk, None)
        return TickerPage(chunk, encode_cursor({**query, "page_marker": str(offset + limit)}))

    def _matching(self, key: tuple[tuple[str, str], ...]) -> list[dict[str, Any]]:
        if key not in self._cache:
            if len(self._cache) >= 32:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = _select(self._rows, dict(key))
        return self._cache[key]


def _select(rows: list[dict[str, Any]], q: Mapping[str, str]) -> list[dict[str, Any]]:
    market = q.get("market")
    if market is not None and market not in _MARKETS:
        raise QueryError(f"The parameter 'market' with value '{market}' is invalid.")
    sort, order = q.get("sort", "ticker"), q.get("order", "asc")
    if sort not in _SORTS or order not in ("asc", "desc"):
        raise QueryError("The parameters 'sort' or 'order' are invalid.")
    active = parse_bool(q.get("active"), "active", default=True)
    search = q.get("search", "").lower()
    out = [
        r
        for r in rows
        if r["active"] == active
        and (market is None or r["market"] == market)
        and all(
            r.get(f) == q[p]
            for f, p in (
                ("type", "type"),
                ("ticker", "ticker"),
                ("primary_exchange", "exchange"),
                ("cik", "cik"),
            )
            if p in q
        )
        and all(op(r["ticker"], q[p]) for p, op in _RANGES.items() if p in q)
        and (not search or search in r["ticker"].lower() or search in r["name"].lower())
    ]
    out.sort(key=lambda r: r["ticker"])
    if sort != "ticker":
        # Rows lacking the field go last in ascending order, as nulls do in most databases.
        out.sort(key=lambda r: (r.get(sort) is None, r.get(sort) or ""))
    if order == "desc":
        out.reverse()
    return out
