"""What makes a run request runnable. The CLI checks a request with these rules before it
publishes it, and the lister when it consumes one (from Kafka UI or kcat, say): one set of rules,
so both refuse the same requests with the same reasons."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator

# A run's dates are the market's: a request's `today`, and a scheduled slot's date, are read in
# New York, whatever zone the sender or the schedule keeps.
MARKET_ZONE = ZoneInfo("America/New_York")

# No US stock bars before this at Polygon (its history starts in 2003): an earlier date is a
# typo (0024 for 2024, 1924), and would plan years of requests for nothing.
EARLIEST_DATE = date(2000, 1, 1)
# A US stock symbol as Polygon spells it: upper-case letters and digits, class shares after a dot
# (BRK.B), preferreds with a lower-case p and the series (KIMpL). POLYGON_API.md §8.
REQUEST_TICKER = re.compile(r"[A-Z0-9][A-Za-z0-9.]{0,15}")


class InvalidRunRequest(ValueError):
    """A request that parsed but cannot be run (its dates), with the reason a person reads."""


def _likely(ticker: str) -> str | None:
    """The spelling a mistyped ticker most likely meant: a dot for a dash or slash (Yahoo's
    BRK-B), upper case for lower case; None when neither fixes it."""
    guess = re.sub("[-/]", ".", ticker.strip())
    for candidate in (guess, guess.upper()):
        if REQUEST_TICKER.fullmatch(candidate):
            return candidate
    return None


def well_formed_ticker(ticker: str) -> str:
    if not REQUEST_TICKER.fullmatch(ticker):
        likely = _likely(ticker)
        hint = f": {likely}?" if likely else ""
        raise ValueError(
            f"{ticker!r} is not a ticker as Polygon spells it (AAPL, BRK.B, KIMpL){hint}"
        )
    return ticker


RequestTicker = Annotated[str, AfterValidator(well_formed_ticker)]


def market_date(at: datetime) -> date:
    """The New York date of an aware instant: 00:30 UTC on the 28th is still the 27th there."""
    return at.astimezone(MARKET_ZONE).date()


def run_span(start: date | None, to: date | None, today: date) -> tuple[date | None, date]:
    """(first date or None for incremental, last date) of a run asked on `today` (New York):
    `to` defaults to yesterday; no date before EARLIEST_DATE or after today; from <= to."""
    end = to if to is not None else today - timedelta(days=1)
    for name, value in (("from", start), ("to", to)):
        if value is not None and value < EARLIEST_DATE:
            raise InvalidRunRequest(f"{name} {value} is before {EARLIEST_DATE}: no bars so early")
        if value is not None and value > today:
            raise InvalidRunRequest(f"{name} {value} is in the future (today is {today})")
    if start is not None and start > end:
        said = "" if to is not None else " (to defaults to yesterday)"
        raise InvalidRunRequest(f"from {start} is after to {end}{said}")
    return start, end


__all__ = [
    "EARLIEST_DATE",
    "InvalidRunRequest",
    "RequestTicker",
    "market_date",
    "run_span",
    "well_formed_ticker",
]
