"""The one-time re-fetch of as-traded history: one run over the old bars' span, planned by the
fewest requests, and what it says before it starts."""

from __future__ import annotations

from datetime import date

import pytest

from services.cli.as_traded import refetch_plan

pytestmark = pytest.mark.unit


class TestRefetchPlan:
    def test_nothing_to_refetch(self) -> None:
        """Every ticker has its as-traded bars: no run."""
        assert None is refetch_plan({})

    def test_few_tickers_over_a_year_go_by_range(self) -> None:
        """Three tickers over 2024: three range requests beat 252 grouped days; the events
        take two requests a ticker."""
        spans = {t: (date(2024, 1, 2), date(2024, 12, 31)) for t in ("B", "A", "C")}

        refetch = refetch_plan(spans)

        assert refetch is not None
        assert (["A", "B", "C"], date(2024, 1, 2), date(2024, 12, 31), "per_ticker", 3) == (
            refetch.tickers,
            refetch.start,
            refetch.end,
            refetch.plan.kind,
            refetch.plan.requests,
        )
        assert "3 API requests" in refetch.describe()
        assert "6 splits and dividends requests" in refetch.describe()

    def test_many_tickers_over_a_week_go_by_grouped_daily(self) -> None:
        """500 tickers over one week: 5 grouped days instead of 500 ranges; the run spans from
        the earliest old bar to the latest."""
        spans = {f"T{i:03d}": (date(2024, 7, 8), date(2024, 7, 12)) for i in range(500)}
        spans["T000"] = (date(2024, 7, 9), date(2024, 7, 10))

        refetch = refetch_plan(spans)

        assert refetch is not None
        assert ("grouped_daily", 5, date(2024, 7, 8), date(2024, 7, 12)) == (
            refetch.plan.kind,
            refetch.plan.requests,
            refetch.start,
            refetch.end,
        )
        assert "the market's splits and dividends pages" in refetch.describe()
