"""Trading sessions of the simulated window, from the real NYSE calendar (holidays included)."""

from __future__ import annotations

import warnings
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import exchange_calendars as xcals
import numpy as np
import numpy.typing as npt

NEW_YORK = ZoneInfo("America/New_York")


def ny_ms(day: date, at: time) -> int:
    """Unix milliseconds of a New York wall-clock time on a given day (DST-aware)."""
    return int(datetime.combine(day, at, NEW_YORK).timestamp() * 1000)


def ms_to_ny_date(ms: int) -> date:
    """The New York calendar date of a Unix-millisecond instant."""
    return datetime.fromtimestamp(ms / 1000, NEW_YORK).date()


class TradingCalendar:
    """The XNYS sessions between two dates, with each session's bar timestamps precomputed."""

    def __init__(self, start: date, end: date) -> None:
        # The calendar's bounds are its first and last sessions, which need not be start and end.
        with warnings.catch_warnings():
            # exchange_calendars trips a pandas 3 deprecation warning that is not ours to fix.
            warnings.simplefilter("ignore")
            cal = xcals.get_calendar("XNYS", start=start.isoformat(), end=end.isoformat())
        self.days: list[date] = [ts.date() for ts in cal.sessions if start <= ts.date() <= end]
        self._ordinals = np.array([d.toordinal() for d in self.days], dtype=np.int64)
        # Range bars start at New York midnight; grouped bars are stamped at the 16:00 close.
        self.open_ms: npt.NDArray[np.int64] = np.array(
            [ny_ms(d, time(0)) for d in self.days], dtype=np.int64
        )
        self.close_ms: npt.NDArray[np.int64] = np.array(
            [ny_ms(d, time(16)) for d in self.days], dtype=np.int64
        )

    def __len__(self) -> int:
        return len(self.days)

    @property
    def ordinals(self) -> npt.NDArray[np.int64]:
        """The sessions as proleptic ordinals (`date.toordinal`), ascending."""
        return self._ordinals

    def last_through(self, day: date) -> int:
        """The index of the last session on or before `day`; -1 when there is none."""
        return int(np.searchsorted(self._ordinals, day.toordinal(), side="right")) - 1

    def index_of(self, day: date) -> int | None:
        """The session index of a day, or None when the market was closed or it is outside."""
        i = int(np.searchsorted(self._ordinals, day.toordinal()))
        if i < len(self.days) and self.days[i] == day:
            return i
        return None

    def span(self, first: date, last: date) -> tuple[int, int]:
        """Session indices [lo, hi) of the sessions falling within [first, last]."""
        lo = int(np.searchsorted(self._ordinals, first.toordinal(), side="left"))
        hi = int(np.searchsorted(self._ordinals, last.toordinal(), side="right"))
        return lo, max(lo, hi)

    def span_ms(self, from_ms: int, to_ms: int) -> tuple[int, int]:
        """Session indices [lo, hi) whose bar start (NY midnight) lies within [from_ms, to_ms]."""
        lo = int(np.searchsorted(self.open_ms, from_ms, side="left"))
        hi = int(np.searchsorted(self.open_ms, to_ms, side="right"))
        return lo, max(lo, hi)
