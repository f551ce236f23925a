"""Which splits and dividends a run reads: each kind from the end of what was read less the
lookback, a ticker whose bars are not all covered from its first bar, and one batch of each kind
per run with tickers."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from services.lister.core import RunSpec, fetch_commands
from services.lister.corporate_actions import (
    KINDS,
    Coverage,
    action_commands,
    bars_from,
    first_event_date,
)
from shared.db.control import WHOLE_MARKET
from shared.fetch_plan import FetchPlan

pytestmark = pytest.mark.unit

LOOKBACK = timedelta(days=30)
JUL_1, JUL_5 = date(2024, 7, 1), date(2024, 7, 5)
JUN_5 = JUL_5 - LOOKBACK
HISTORY_START = date(2015, 1, 2)


def spec(**overrides: Any) -> RunSpec:
    values: dict[str, Any] = dict(
        run_id="r1", start=None, end=date(2024, 7, 31), batch_size=100, tickers=None,
        max_tickers=None,
    )  # fmt: skip
    values.update(overrides)
    return RunSpec(**values)


def covered(first: date, last: date) -> Coverage:
    return Coverage(first, last)


class TestFirstEventDate:
    def test_a_ticker_never_read_starts_at_its_first_bar(self) -> None:
        """No coverage of the kind: events from the ticker's first bar, so its adjusted
        history is complete."""
        first = first_event_date("splits", {"NEWCO": HISTORY_START}, {}, LOOKBACK)

        assert HISTORY_START == first

    def test_a_covered_ticker_starts_at_the_coverage_end_less_the_lookback(self) -> None:
        """Read from its first bar through 5 July: re-read from 5 June, for late and
        corrected events."""
        marks = {"splits": {"AAPL": covered(date(2020, 1, 2), JUL_5)}}

        first = first_event_date("splits", {"AAPL": date(2020, 1, 2)}, marks, LOOKBACK)

        assert JUN_5 == first

    def test_bars_older_than_the_coverage_are_read_from_their_first_bar(self) -> None:
        """Bars from 2020 but events read only from 2024 (a failed first read, or bars loaded
        before events were read): read again from 2020."""
        marks = {"dividends": {"AAPL": covered(date(2024, 1, 2), JUL_5)}}

        first = first_event_date("dividends", {"AAPL": date(2020, 1, 2)}, marks, LOOKBACK)

        assert date(2020, 1, 2) == first

    def test_a_whole_market_coverage_covers_a_ticker_never_read_alone(self) -> None:
        """'*' read the kind for every ticker: a new listing inside it counts as read."""
        marks = {"splits": {WHOLE_MARKET: covered(HISTORY_START, JUL_5)}}

        first = first_event_date("splits", {"NEWCO": date(2024, 7, 8)}, marks, LOOKBACK)

        assert JUN_5 == first

    def test_the_later_of_a_tickers_own_and_the_market_coverage_counts(self) -> None:
        """A whole-market read after the ticker's own read moves its window forward."""
        marks = {
            "splits": {
                "AAPL": covered(date(2024, 1, 2), date(2024, 1, 31)),
                WHOLE_MARKET: covered(date(2024, 1, 2), JUL_5),
            }
        }

        first = first_event_date("splits", {"AAPL": date(2024, 1, 2)}, marks, LOOKBACK)

        assert JUN_5 == first

    def test_the_earliest_ticker_decides_and_kinds_are_independent(self) -> None:
        """The batch reads from the earliest first date of its tickers; a splits coverage
        says nothing of dividends."""
        need = {"AAPL": date(2024, 1, 2), "MSFT": date(2024, 1, 2)}
        marks = {
            "splits": {
                "AAPL": covered(date(2024, 1, 2), JUL_5),
                "MSFT": covered(date(2024, 1, 2), date(2024, 3, 1)),
            }
        }

        firsts = [first_event_date(k, need, marks, LOOKBACK) for k in KINDS]

        assert [date(2024, 1, 31), date(2024, 1, 2)] == firsts

    def test_no_tickers_no_date(self) -> None:
        """A run without tickers reads no event."""
        marks = {"splits": {WHOLE_MARKET: covered(HISTORY_START, JUL_5)}}

        assert None is first_event_date("splits", {}, marks, LOOKBACK)


class TestBarsFrom:
    def test_the_first_stored_bar_or_the_runs_start(self) -> None:
        """An incremental run starts AAPL after its last bar, but its bars go back to 2020;
        NEWCO has no bar yet and starts where the run starts it."""
        starts = {"AAPL": date(2024, 7, 8), "NEWCO": HISTORY_START}

        need = bars_from(starts, {"AAPL": date(2020, 1, 2)})

        assert {"AAPL": date(2020, 1, 2), "NEWCO": HISTORY_START} == need


class TestActionCommands:
    def test_one_batch_of_each_kind_named_after_it(self) -> None:
        """A splits then a dividends batch, seq after the bar batches, the run's total, the
        run's tickers sorted, from each kind's first date through the run's end."""
        need = {"MSFT": date(2024, 7, 8), "AAPL": date(2024, 7, 8)}
        coverage = covered(date(2024, 1, 2), JUL_5)
        marks = {"splits": {"AAPL": coverage, "MSFT": coverage}}

        commands = action_commands(spec(), need, marks, LOOKBACK, False, 3, 6)

        assert [
            ("r1/splits/fetch", "splits", "splits", 3, 6, ["AAPL", "MSFT"], JUN_5),
            ("r1/dividends/fetch", "dividends", "dividends", 4, 6, ["AAPL", "MSFT"],
             date(2024, 7, 8)),
        ] == [
            (c.message_id, c.batch_id, c.actions, c.seq, c.total_batches, c.tickers, c.from_)
            for c in commands
        ]  # fmt: skip
        assert [(date(2024, 7, 31), False, None, None)] * 2 == [
            (c.to, c.adjusted, c.days, c.starts) for c in commands
        ]

    def test_a_whole_market_run_names_no_tickers(self) -> None:
        """[] tickers: the fetcher keeps every event of the market, and the loader moves the
        '*' watermark."""
        commands = action_commands(spec(), {"A": JUL_1}, {}, LOOKBACK, True, 0, 3)

        assert [[], []] == [c.tickers for c in commands]

    def test_a_start_after_the_end_reads_the_last_day(self) -> None:
        """Up-to-date tickers (bars from the day after `to`) still re-read up to `to`."""
        end = date(2024, 7, 5)

        commands = action_commands(spec(end=end), {"A": end + timedelta(days=1)}, {}, LOOKBACK,
                                   False, 0, 3)  # fmt: skip

        assert [(end, end)] * 2 == [(c.from_, c.to) for c in commands]

    def test_no_tickers_no_batches(self) -> None:
        """A run without tickers (max_tickers=0) fetches no corporate action."""
        assert [] == action_commands(spec(), {}, {}, LOOKBACK, False, 0, 1)


class TestTotals:
    def test_the_bar_batches_total_counts_the_corporate_action_batches(self) -> None:
        """fetch_commands' total = bar batches + other batches + the tickers listing."""
        plan = FetchPlan("per_ticker", ["A", "B"], [], [], "2 range requests")

        [command] = fetch_commands(spec(), plan, {"A": JUL_1, "B": JUL_1}, 5, other_batches=2)

        assert 4 == command.total_batches
