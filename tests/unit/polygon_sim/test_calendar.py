"""The simulated window trades on the real NYSE calendar."""

from __future__ import annotations

from datetime import date

import pytest

from services.polygon_sim.market.calendar import TradingCalendar
from services.polygon_sim.market.market import Market

pytestmark = pytest.mark.unit


class TestTradingCalendar:
    def test_2024_has_252_sessions(self, market: Market) -> None:
        """NYSE traded on 252 days in 2024."""
        sessions = market.sessions(date(2024, 1, 1), date(2024, 12, 31))

        assert 252 == len(sessions)

    @pytest.mark.parametrize("holiday", [date(2024, 7, 4), date(2024, 3, 29), date(2025, 1, 9)])
    def test_holidays_are_not_sessions(self, market: Market, holiday: date) -> None:
        """Independence Day, Good Friday and the 2025 day of mourning are closed days."""
        assert None is market.calendar.index_of(holiday)

    def test_weekends_are_not_sessions(self, market: Market) -> None:
        """No session falls on a Saturday or a Sunday."""
        weekdays = {d.weekday() for d in market.calendar.days}

        assert {0, 1, 2, 3, 4} == weekdays

    def test_window_bounds_are_respected(self) -> None:
        """The calendar holds exactly the sessions between the configured dates."""
        cal = TradingCalendar(date(2024, 12, 28), date(2025, 1, 3))

        assert [date(2024, 12, 30), date(2024, 12, 31), date(2025, 1, 2), date(2025, 1, 3)] == (
            cal.days
        )
