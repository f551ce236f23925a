"""The reference rows of a run of named tickers, without listing the universe: a name whose row an
earlier listing stored costs no request; any other name is asked for alone (`ticker=`, an exact
match), listed first, then delisted. A name in neither does not exist at Polygon: `not_found`.

Listing the universe costs its pages (about 12 at 1000 a page for US stocks) whatever the run;
this costs at most two requests per name never seen, and none for the usual case."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from shared.clients.polygon import PolygonApi, TickerRef

NOT_FOUND = "not_found"


@dataclass(frozen=True)
class NamedRefs:
    stored: list[TickerRef]  # rows an earlier listing stored
    fetched: list[TickerRef]  # rows asked for now, stored by this run's listing object
    not_found: list[str]  # names the reference endpoint does not know, listed or delisted

    @property
    def refs(self) -> list[TickerRef]:
        return [*self.stored, *self.fetched]


def not_found_reason(ticker: str) -> str:
    return f"{ticker} is not a ticker at Polygon (not listed, not delisted): check its spelling"


async def named_refs(
    api: PolygonApi, names: Iterable[str], stored: dict[str, TickerRef]
) -> NamedRefs:
    """The rows of `names` (in order), from `stored` or one exact request each."""
    have, fetched, missing = [], [], []
    for name in names:
        if name in stored:
            have.append(stored[name])
            continue
        found = await _one(api, name)
        if found is None:
            missing.append(name)
        else:
            fetched.append(found)
    return NamedRefs(have, fetched, missing)


async def _one(api: PolygonApi, name: str) -> TickerRef | None:
    for active in (True, False):
        async for ref in api.list_tickers(active=active, ticker=name):
            if ref.ticker == name:
                return ref
    return None
