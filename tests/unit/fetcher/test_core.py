"""The fetcher's pure core: a ticker's outcome as a raw-object line, and the object's header."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.fetcher.core import bar_as_sent, header, outcome
from shared.clients.polygon import (
    DailyBar,
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
