"""The lister's planner: the fewest API requests, by ranges, grouped days or both."""

from __future__ import annotations

from datetime import date

import pytest

from shared.fetch_plan import FetchPlan, plan_fetch
from shared.market_calendar import nyse_sessions
from shared.messages import Plan

pytestmark = pytest.mark.unit

JAN_2, JUL_1, JUL_5 = date(2024, 1, 2), date(2024, 7, 1), date(2024, 7, 5)
HALF_YEAR = nyse_sessions(JAN_2, JUL_5)  # 128 sessions
JUL_WEEK = nyse_sessions(JUL_1, JUL_5)  # 1, 2, 3 and 5 July: the 4th is a holiday
UNIVERSE = [f"T{i:03d}" for i in range(100)]


def plan(starts: dict[str, date], mode: Plan = Plan.AUTO, whole_market: bool = True) -> FetchPlan:
    first = min(starts.values())
    return plan_fetch(starts, JUL_5, nyse_sessions(first, JUL_5), mode, whole_market)


def what(p: FetchPlan) -> tuple[str, list[str], list[date], list[str]]:
    return p.kind, p.ranges, p.days, p.grouped_tickers


class TestTheSessions:
    def test_the_half_year_and_the_holiday_week_used_below(self) -> None:
        """The fixtures' arithmetic: 128 sessions, and four in the week of 4 July."""
        assert (128, [JUL_1, date(2024, 7, 2), date(2024, 7, 3), JUL_5]) == (
            len(HALF_YEAR),
            JUL_WEEK,
        )


class TestPerTicker:
    def test_fewer_tickers_than_days_fetch_one_range_each(self) -> None:
        """Three tickers over half a year: three range requests beat 128 grouped days."""
        result = plan(dict.fromkeys(["MSFT", "AAPL", "BRK.A"], JAN_2))

        assert ("per_ticker", ["AAPL", "BRK.A", "MSFT"], [], []) == what(result)

    def test_the_reason_counts_the_requests(self) -> None:
        """The reason says how many range requests the run makes."""
        result = plan(dict.fromkeys(["A", "B"], JAN_2))

        assert "2 range requests, no more than grouped daily needs" == result.reason

    def test_a_tie_prefers_per_ticker(self) -> None:
        """Four tickers over four sessions cost four requests either way: ranges win."""
        result = plan(dict.fromkeys(["A", "B", "C", "D"], JUL_1))

        assert ("per_ticker", ["A", "B", "C", "D"], 4) == (
            result.kind,
            result.ranges,
            result.requests,
        )

    def test_one_more_ticker_than_days_tips_it_to_grouped(self) -> None:
        """Five tickers over four sessions: four grouped days are cheaper."""
        result = plan(dict.fromkeys(["A", "B", "C", "D", "E"], JUL_1))

        assert ("grouped_daily", 4) == (result.kind, result.requests)


class TestGroupedDaily:
    def test_the_whole_universe_over_a_short_range_is_fetched_by_day(self) -> None:
        """A hundred tickers over four sessions: four grouped requests, no ticker filter."""
        result = plan(dict.fromkeys(UNIVERSE, JUL_1))

        assert ("grouped_daily", [], JUL_WEEK, []) == what(result)

    def test_a_chosen_subset_is_named_as_the_grouped_filter(self) -> None:
        """Not the whole market (requested tickers, max_tickers): the days are for those only."""
        result = plan(dict.fromkeys(UNIVERSE, JUL_1), whole_market=False)

        assert ("grouped_daily", [], JUL_WEEK, UNIVERSE) == what(result)

    def test_a_start_on_a_weekend_begins_at_the_next_session(self) -> None:
        """Starts are calendar days; the first grouped day is the first session on or after."""
        starts = dict.fromkeys(UNIVERSE, date(2024, 6, 29))  # a Saturday

        assert JUL_WEEK == plan(starts).days

    def test_the_reason_compares_with_per_ticker(self) -> None:
        """The reason says what grouped daily costs and what ranges would have."""
        result = plan(dict.fromkeys(UNIVERSE, JUL_1))

        assert "4 grouped-daily + 0 range requests instead of 100 range requests" == result.reason


class TestMixed:
    def test_one_new_ticker_with_history_is_a_range_and_the_rest_grouped(self) -> None:
        """An incremental day: 38 tickers from 1 July and one new ticker from January. Four
        grouped days plus one range (5 requests) beat 39 ranges or 128 grouped days."""
        starts = {**{f"T{i:02d}": JUL_1 for i in range(38)}, "NEWCO": JAN_2}

        result = plan(starts)

        assert (("mixed", ["NEWCO"], JUL_WEEK, []), 5) == (what(result), result.requests)

    def test_the_grouped_filter_names_only_the_grouped_tickers(self) -> None:
        """Not the whole market: the grouped days are for the tickers not fetched by range."""
        late = [f"T{i:02d}" for i in range(38)]
        starts = {**dict.fromkeys(late, JUL_1), "NEWCO": JAN_2}

        result = plan(starts, whole_market=False)

        assert (["NEWCO"], late) == (result.ranges, result.grouped_tickers)

    def test_grouped_starts_at_the_cheapest_of_the_tickers_own_starts(self) -> None:
        """Ten tickers from 3 July, ten from 1 July, one from January: grouped from 1 July
        (4 days + 1 range) is cheaper than from 3 July (2 days + 11 ranges)."""
        starts = {
            **{f"A{i}": date(2024, 7, 3) for i in range(10)},
            **{f"B{i}": JUL_1 for i in range(10)},
            "NEWCO": JAN_2,
        }

        result = plan(starts)

        assert ("mixed", ["NEWCO"], JUL_WEEK, 5) == (
            result.kind,
            result.ranges,
            result.days,
            result.requests,
        )

    def test_the_reason_compares_with_per_ticker(self) -> None:
        """The reason counts both kinds of request and the ranges it saves."""
        starts = {**{f"T{i:02d}": JUL_1 for i in range(38)}, "NEWCO": JAN_2}

        expected = "4 grouped-daily + 1 range requests instead of 39 range requests"
        assert expected == plan(starts).reason


class TestUpToDate:
    def test_nothing_to_fetch_when_every_start_is_after_the_last_session(self) -> None:
        """Every ticker loaded through `end`: no request at all."""
        starts = dict.fromkeys(["A", "B"], date(2024, 7, 6))

        result = plan_fetch(starts, JUL_5, nyse_sessions(date(2024, 7, 6), JUL_5), Plan.AUTO, True)

        assert (("up_to_date", [], [], []), 0, "every ticker is up to date") == (
            what(result),
            result.requests,
            result.reason,
        )

    def test_a_weekend_with_no_session_left_is_up_to_date(self) -> None:
        """Loaded through Friday, run on Sunday: Saturday and Sunday hold no session."""
        starts = dict.fromkeys(["A", "B"], date(2024, 7, 6))
        end = date(2024, 7, 7)

        result = plan_fetch(starts, end, nyse_sessions(date(2024, 7, 6), end), Plan.AUTO, True)

        assert "up_to_date" == result.kind

    def test_up_to_date_tickers_cost_nothing_beside_the_others(self) -> None:
        """A ticker already through `end` is neither a range nor in the grouped filter."""
        starts = {"DONE": date(2024, 7, 6), "A": JUL_1, "B": JUL_1}

        result = plan(starts, whole_market=False)

        assert ("per_ticker", ["A", "B"], [], []) == what(result)

    def test_no_tickers_is_up_to_date(self) -> None:
        """A run with no tickers needs no request."""
        result = plan_fetch({}, JUL_5, nyse_sessions(JUL_5, JUL_5), Plan.AUTO, True)

        assert "up_to_date" == result.kind


class TestForcedModes:
    def test_per_ticker_is_kept_even_when_grouped_is_cheaper(self) -> None:
        """plan=per_ticker: one range per ticker, whatever grouped would cost."""
        result = plan(dict.fromkeys(UNIVERSE, JUL_1), mode=Plan.PER_TICKER)

        assert ("per_ticker", UNIVERSE, [], []) == what(result)

    def test_grouped_daily_is_kept_even_when_ranges_are_cheaper(self) -> None:
        """plan=grouped_daily: every session from the earliest start, no range at all."""
        result = plan(dict.fromkeys(["A", "B"], JAN_2), mode=Plan.GROUPED_DAILY)

        assert ("grouped_daily", [], HALF_YEAR, []) == what(result)

    def test_forced_grouped_covers_every_start_by_day(self) -> None:
        """plan=grouped_daily with a ticker starting early: grouped from its start, not mixed."""
        starts = {"A": JUL_1, "NEWCO": JAN_2}

        result = plan(starts, mode=Plan.GROUPED_DAILY, whole_market=False)

        assert ("grouped_daily", [], HALF_YEAR, ["A", "NEWCO"]) == what(result)

    def test_forced_modes_still_skip_up_to_date_runs(self) -> None:
        """Forcing a mode never fetches what is already loaded."""
        starts = dict.fromkeys(["A"], date(2024, 7, 6))
        sessions = nyse_sessions(date(2024, 7, 6), JUL_5)

        kinds = [plan_fetch(starts, JUL_5, sessions, m, True).kind for m in Plan]

        assert ["up_to_date"] * 3 == kinds


class TestRequests:
    @pytest.mark.parametrize(
        ("ranges", "days", "expected"),
        [([], [], 0), (["A", "B"], [], 2), ([], JUL_WEEK, 4), (["A"], JUL_WEEK, 5)],
    )
    def test_requests_count_ranges_plus_grouped_days(
        self, ranges: list[str], days: list[date], expected: int
    ) -> None:
        """One request per range and one per grouped day; the grouped filter costs nothing."""
        result = FetchPlan("mixed", ranges, days, ["X", "Y", "Z"], "")

        assert expected == result.requests
