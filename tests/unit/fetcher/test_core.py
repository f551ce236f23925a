"""The fetcher's pure core: a ticker's outcome as a raw-object line, grouped days regrouped per
ticker, and the object's header."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from services.fetcher.core import bar_as_sent, grouped_outcomes, header, outcome
from shared.clients.polygon import (
    DailyBar,
    PolygonError,
    PolygonGaveUp,
    PolygonMalformedResponse,
    PolygonNotEntitled,
)
from shared.messages import FetchBatch
from shared.messages.raw_objects import TickerError

pytestmark = pytest.mark.unit

T_2005_04_04 = 1112587200000  # 2005-04-04 00:00 in New York


def bar(**overrides: Any) -> DailyBar:
    values: dict[str, Any] = dict(
        ticker="AAPL",
        trading_date=date(2005, 4, 4),
        open=1.4639,
        high=1.4754,
        low=1.4343,
        close=1.4675,
        volume=578172308.0,
        vwap=1.4589,
        transactions=65543,
        t_ms=T_2005_04_04,
        adjusted=True,
    )
    values.update(overrides)
    return DailyBar(**values)


def batch(**overrides: Any) -> FetchBatch:
    values: dict[str, Any] = {
        "run_id": "r1",
        "message_id": "r1/b00003/fetch",
        "batch_id": "b00003",
        "seq": 3,
        "total_batches": 9,
        "tickers": ["AAPL", "BRK.A"],
        "from": "2005-04-01",
        "to": "2005-04-04",
        "adjusted": False,
    }
    values.update(overrides)
    return FetchBatch.model_validate(values)


class TestBarAsSent:
    def test_a_full_bar_keeps_the_apis_own_keys(self) -> None:
        """Single-letter keys and values exactly as the API sent them."""
        assert {
            "t": T_2005_04_04,
            "o": 1.4639,
            "h": 1.4754,
            "l": 1.4343,
            "c": 1.4675,
            "v": 578172308.0,
            "vw": 1.4589,
            "n": 65543,
        } == bar_as_sent(bar())

    def test_missing_vwap_and_transactions_are_left_out(self) -> None:
        """vw and n the API left out stay out (not null)."""
        row = bar_as_sent(bar(vwap=None, transactions=None))

        assert {"t", "o", "h", "l", "c", "v"} == set(row)

    def test_a_zero_vwap_is_kept(self) -> None:
        """Only a missing value is left out; zero is a value."""
        row = bar_as_sent(bar(vwap=0.0, transactions=0))

        assert (0.0, 0) == (row["vw"], row["n"])

    def test_otc_appears_only_when_true(self) -> None:
        """otc=true is kept; the default false is not written."""
        assert (True, False) == ("otc" in bar_as_sent(bar(otc=True)), "otc" in bar_as_sent(bar()))


class TestOutcome:
    def test_bars_become_the_tickers_line(self) -> None:
        """A ticker with bars: its bars as sent and no error."""
        line = outcome("AAPL", [bar(), bar(t_ms=T_2005_04_04 + 86_400_000)])

        assert (2, None) == (len(line.bars), line.error)

    def test_no_bars_is_a_success_with_none(self) -> None:
        """An empty answer is not an error."""
        line = outcome("NEWCO", [])

        assert ("NEWCO", [], None) == (line.ticker, line.bars, line.error)

    @pytest.mark.parametrize(
        ("error", "kind"),
        [
            (PolygonNotEntitled("plan does not cover it", status=403), "not_entitled"),
            (PolygonGaveUp("HTTP 503", status=503, attempts=7), "gave_up"),
            (PolygonMalformedResponse("`results` is not a list"), "malformed_response"),
        ],
    )
    def test_an_error_is_recorded_with_its_kind_and_reason(
        self, error: Exception, kind: str
    ) -> None:
        """A failed ticker's line carries the error's kind and message, and no bars."""
        line = outcome("BRK.A", error)  # type: ignore[arg-type]

        assert ("BRK.A", [], TickerError(kind=kind, reason=str(error))) == (
            line.ticker,
            line.bars,
            line.error,
        )


class TestHeader:
    def test_the_header_describes_the_batch(self) -> None:
        """Run, batch, range, adjusted flag, items and requests come from the batch."""
        head = header(batch(), items=2, api_requests=3)

        assert (
            "daily_bars",
            "aggs_range",
            "r1",
            "b00003",
            False,
            date(2005, 4, 1),
            date(2005, 4, 4),
            2,
            3,
        ) == (
            head.kind,
            head.source,
            head.run_id,
            head.batch_id,
            head.adjusted,
            head.from_,
            head.to,
            head.items,
            head.api_requests,
        )

    def test_a_grouped_batch_says_its_source_is_grouped_daily(self) -> None:
        """A batch with days is written with source grouped_daily and its own range."""
        grouped = batch(batch_id="g00000", tickers=[], days=[JUL_1, JUL_2], **{"from": JUL_1},
                        to=JUL_2)  # fmt: skip

        head = header(grouped, items=40, api_requests=2)

        assert ("grouped_daily", "g00000", JUL_1, JUL_2, 2) == (
            head.source,
            head.batch_id,
            head.from_,
            head.to,
            head.api_requests,
        )


JUL_1, JUL_2, JUL_3 = date(2024, 7, 1), date(2024, 7, 2), date(2024, 7, 3)


def t_ms(day: date) -> int:
    """Midnight in New York (EDT) of a July day, as Polygon stamps it."""
    return int(datetime(day.year, day.month, day.day, 4, tzinfo=UTC).timestamp() * 1000)


def day_bar(ticker: str, day: date) -> DailyBar:
    return bar(ticker=ticker, trading_date=day, t_ms=t_ms(day))


def market(day: date, *tickers: str) -> list[DailyBar]:
    return [day_bar(t, day) for t in tickers]


def grouped(tickers: list[str], starts: dict[str, date] | None = None) -> FetchBatch:
    return batch(batch_id="g00000", tickers=tickers, starts=starts, days=[JUL_1, JUL_2, JUL_3],
                 **{"from": JUL_1}, to=JUL_3)  # fmt: skip


def regrouped(lines: list[Any]) -> list[tuple[str, int, str | None]]:
    """Each line as (ticker, bars, error kind)."""
    return [(x.ticker, len(x.bars), x.error.kind if x.error else None) for x in lines]


class TestGroupedOutcomes:
    def test_each_ticker_gets_one_line_with_its_bars_of_every_day(self) -> None:
        """Whole market (no tickers named): each ticker in the answers, its days together."""
        results: list[tuple[date, list[DailyBar] | PolygonError]] = [
            (JUL_1, market(JUL_1, "AAPL", "MSFT")),
            (JUL_2, market(JUL_2, "AAPL", "MSFT")),
            (JUL_3, market(JUL_3, "AAPL")),
        ]

        lines = grouped_outcomes(grouped([]), results)

        assert [("AAPL", 3, None), ("MSFT", 2, None)] == regrouped(lines)

    def test_the_bars_keep_their_days_in_order(self) -> None:
        """A ticker's bars follow the batch's days."""
        results: list[tuple[date, list[DailyBar] | PolygonError]] = [
            (JUL_1, market(JUL_1, "AAPL")),
            (JUL_2, market(JUL_2, "AAPL")),
        ]

        [line] = grouped_outcomes(grouped([]), results)

        assert [bar_as_sent(day_bar("AAPL", JUL_1)), bar_as_sent(day_bar("AAPL", JUL_2))] == (
            line.bars
        )

    def test_named_tickers_filter_the_market(self) -> None:
        """A batch naming tickers keeps only theirs; the rest of the market is dropped."""
        results: list[tuple[date, list[DailyBar] | PolygonError]] = [
            (JUL_1, market(JUL_1, "AAPL", "MSFT", "BRK.A")),
        ]

        lines = grouped_outcomes(grouped(["MSFT", "AAPL"]), results)

        assert [("AAPL", 1, None), ("MSFT", 1, None)] == regrouped(lines)

    def test_bars_before_a_tickers_own_start_are_dropped(self) -> None:
        """Incremental: a ticker loaded through 1 July starts on the 2nd; its 1 July bar,
        already loaded, is not written again. Others keep every day."""
        results: list[tuple[date, list[DailyBar] | PolygonError]] = [
            (d, market(d, "AAPL", "MSFT")) for d in (JUL_1, JUL_2, JUL_3)
        ]

        lines = grouped_outcomes(grouped([], starts={"MSFT": JUL_2}), results)

        assert ([t_ms(JUL_1), t_ms(JUL_2), t_ms(JUL_3)], [t_ms(JUL_2), t_ms(JUL_3)]) == (
            [b["t"] for b in lines[0].bars],
            [b["t"] for b in lines[1].bars],
        )

    def test_a_failed_day_is_named_by_a_pseudo_ticker_with_its_error(self) -> None:
        """A day the API failed becomes `*grouped YYYY-MM-DD` with the error's kind, after the
        tickers; the other days' bars are kept."""
        results: list[tuple[date, list[DailyBar] | PolygonError]] = [
            (JUL_1, market(JUL_1, "AAPL")),
            (JUL_2, PolygonGaveUp("HTTP 503", status=503, attempts=7)),
            (JUL_3, market(JUL_3, "AAPL")),
        ]

        lines = grouped_outcomes(grouped([]), results)

        assert [("AAPL", 2, None), ("*grouped 2024-07-02", 0, "gave_up")] == regrouped(lines)

    def test_tickers_are_sorted_whatever_the_answer_order(self) -> None:
        """Lines are in ticker order, so a replay writes the same bytes."""
        results: list[tuple[date, list[DailyBar] | PolygonError]] = [
            (JUL_1, market(JUL_1, "MSFT", "BRK.A", "AAPL")),
            (JUL_2, market(JUL_2, "KIMpL", "AAPL")),
        ]

        lines = grouped_outcomes(grouped([]), results)

        assert ["AAPL", "BRK.A", "KIMpL", "MSFT"] == [x.ticker for x in lines]

    def test_no_bars_no_lines(self) -> None:
        """Days with empty answers leave nothing to write."""
        results: list[tuple[date, list[DailyBar] | PolygonError]] = [(JUL_1, [])]

        assert [] == grouped_outcomes(grouped([]), results)
