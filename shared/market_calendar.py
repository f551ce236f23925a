"""NYSE trading days, from a maintained calendar (exchange_calendars' XNYS, holidays included)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import exchange_calendars


@lru_cache(maxsize=1)
def _nyse() -> exchange_calendars.ExchangeCalendar:
    return exchange_calendars.get_calendar("XNYS", start="2000-01-01")


def nyse_sessions(start: date, end: date) -> list[date]:
    """Trading days from start to end, inclusive; [] when end is before start."""
    if end < start:
        return []
    cal = _nyse()
    lo, hi = max(start, cal.first_session.date()), min(end, cal.last_session.date())
    if hi < lo:
        return []
    return [d.date() for d in cal.sessions_in_range(lo.isoformat(), hi.isoformat())]


__all__ = ["nyse_sessions"]
