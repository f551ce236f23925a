"""The rules a run request must meet, shared by the CLI (before publishing) and the lister."""

from __future__ import annotations

from datetime import date

import pytest

from shared.messages.run_rules import InvalidRunRequest, run_span, well_formed_ticker

pytestmark = pytest.mark.unit

TODAY = date(2026, 11, 27)


class TestRunSpan:
    def test_to_defaults_to_yesterday(self) -> None:
        """No `to`: the run ends yesterday; no `from`: it is incremental."""
        assert (None, date(2026, 11, 26)) == run_span(None, None, TODAY)

    def test_from_after_to_is_refused_with_both_dates(self) -> None:
        """The reason names both dates."""
        with pytest.raises(InvalidRunRequest, match="from 2024-03-01 is after to 2024-01-01"):
            run_span(date(2024, 3, 1), date(2024, 1, 1), TODAY)

    def test_from_today_without_to_says_to_is_yesterday(self) -> None:
        """`from` today with the default `to` is empty: the reason says where `to` came from."""
        with pytest.raises(InvalidRunRequest, match="defaults to yesterday"):
            run_span(TODAY, None, TODAY)

    @pytest.mark.parametrize(
        ("start", "to", "reason"),
        [
            (date(1924, 1, 2), None, "from 1924-01-02 is before 2000-01-01"),
            (None, date(24, 1, 2), "to 0024-01-02 is before"),
            (None, date(2026, 11, 28), "to 2026-11-28 is in the future"),
        ],
    )
    def test_dates_out_of_range(self, start: date | None, to: date | None, reason: str) -> None:
        """Before Polygon's history or after today: refused, saying which date."""
        with pytest.raises(InvalidRunRequest, match=reason):
            run_span(start, to, TODAY)

    def test_one_day_through_today_is_fine(self) -> None:
        """from == to == today is one day."""
        assert (TODAY, TODAY) == run_span(TODAY, TODAY, TODAY)


class TestTickers:
    @pytest.mark.parametrize("ticker", ["AAPL", "BRK.B", "KIMpL", "A", "ZVZZT"])
    def test_as_polygon_spells_them(self, ticker: str) -> None:
        """Upper case, a dot for classes, a lower-case p for preferreds."""
        assert ticker == well_formed_ticker(ticker)

    @pytest.mark.parametrize(
        ("ticker", "hint"),
        [
            ("BRK-B", ": BRK.B?"),
            ("brk/b", ": BRK.B?"),
            ("aapl", ": AAPL?"),
            ("AAPL MSFT", ""),
            ("", ""),
            ("X" * 17, ""),
        ],
    )
    def test_malformed_are_refused_with_a_hint(self, ticker: str, hint: str) -> None:
        """The reason quotes the ticker and, where a likely fix exists, says it."""
        with pytest.raises(ValueError, match="is not a ticker as Polygon spells it") as caught:
            well_formed_ticker(ticker)

        assert hint in str(caught.value)
