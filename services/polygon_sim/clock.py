"""The simulator's today: bars, listings and known events are served up to it; it only moves on."""

from __future__ import annotations

from datetime import date


class ClockError(ValueError):
    """A move the clock refuses: backwards, or past the simulated horizon."""


class Clock:
    """A settable date between the history's start and the market's horizon, forward only."""

    def __init__(self, today: date, earliest: date, latest: date) -> None:
        if not earliest <= today <= latest:
            raise ClockError(f"today {today} is outside the simulated span {earliest}..{latest}")
        self._today = today
        self._latest = latest

    @property
    def today(self) -> date:
        """The current simulated date."""
        return self._today

    def move_to(self, day: date) -> None:
        """Set today to `day`, which must not be before today nor past the horizon."""
        if day < self._today:
            raise ClockError(f"the clock only moves forward: today is {self._today}, not {day}")
        if day > self._latest:
            raise ClockError(f"{day} is past the simulated horizon ({self._latest})")
        self._today = day
