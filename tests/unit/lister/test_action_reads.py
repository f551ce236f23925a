"""When a run reads no splits or dividends at all: every ticker's events through the run's end
were read when already settled (older than the lookback), or read through that end just now."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.lister.corporate_actions import Coverage, kinds_to_read
from shared.db.control import WHOLE_MARKET

pytestmark = pytest.mark.unit

LOOKBACK, FRESH = timedelta(days=30), timedelta(hours=12)
NOW = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)
JAN_2, JUN_28 = date(2024, 1, 2), date(2024, 6, 28)
NEED = {"AAPL": JAN_2, "MSFT": JAN_2}


def read(kind_marks: dict[str, Coverage]) -> dict[str, dict[str, Coverage]]:
    return {"splits": kind_marks, "dividends": kind_marks}


class TestKindsToRead:
    def test_read_through_the_end_minutes_ago_needs_nothing(self) -> None:
        """The whole market was read through the run's end an hour ago: no kind is read."""
        marks = read({WHOLE_MARKET: Coverage(JAN_2, JUN_28, NOW - timedelta(hours=1))})

        assert [] == kinds_to_read(NEED, marks, JUN_28, LOOKBACK, NOW, FRESH)

    def test_read_through_the_end_yesterday_is_read_again(self) -> None:
        """Read through the end, but longer ago than fresh_for: the lookback is re-read."""
        marks = read({WHOLE_MARKET: Coverage(JAN_2, JUN_28, NOW - timedelta(days=1))})

        assert ["splits", "dividends"] == kinds_to_read(NEED, marks, JUN_28, LOOKBACK, NOW, FRESH)

    def test_settled_events_need_no_read_however_old_the_read(self) -> None:
        """A run ending more than the lookback before what was read: those events were
        already settled when read."""
        marks = read({WHOLE_MARKET: Coverage(JAN_2, date(2024, 12, 31), None)})

        assert [] == kinds_to_read(NEED, marks, JUN_28, LOOKBACK, NOW, FRESH)

    def test_one_ticker_not_covered_reads_the_kind(self) -> None:
        """MSFT's splits are fresh, AAPL's were never read: splits are read; dividends of
        both are fresh."""
        fresh = Coverage(JAN_2, JUN_28, NOW)
        marks = {"splits": {"MSFT": fresh}, "dividends": {"MSFT": fresh, "AAPL": fresh}}

        assert ["splits"] == kinds_to_read(NEED, marks, JUN_28, LOOKBACK, NOW, FRESH)

    def test_a_coverage_starting_after_the_first_bar_does_not_count(self) -> None:
        """Read from March only, bars from January: read again, from the first bar."""
        marks = read({WHOLE_MARKET: Coverage(date(2024, 3, 1), JUN_28, NOW)})

        assert ["splits", "dividends"] == kinds_to_read(NEED, marks, JUN_28, LOOKBACK, NOW, FRESH)

    def test_no_tickers_no_kind(self) -> None:
        """Nothing to fetch bars for: no events either."""
        assert [] == kinds_to_read({}, {}, JUN_28, LOOKBACK, NOW, FRESH)
