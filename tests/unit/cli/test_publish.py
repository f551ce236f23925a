"""`stocks-elt run` refuses a request the lister would refuse, before publishing anything."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.cli.publish import checked_request
from shared.messages.run_rules import InvalidRunRequest

pytestmark = pytest.mark.unit

TODAY = date(2026, 11, 27)


def _fields(**overrides: Any) -> dict[str, Any]:
    return {"run_id": "r1", "from": date(2024, 1, 2), "to": date(2024, 3, 28), **overrides}


class TestCheckedRequest:
    def test_a_good_request_passes(self) -> None:
        """Dates in order, tickers as Polygon spells them: the request as built."""
        request = checked_request(_fields(tickers=["AAPL", "BRK.B"]), TODAY)

        assert ("r1", ["AAPL", "BRK.B"]) == (request.run_id, request.tickers)

    def test_from_after_to(self) -> None:
        """The issue's example: refused, saying both dates."""
        with pytest.raises(InvalidRunRequest, match="from 2024-03-01 is after to 2024-01-01"):
            checked_request(_fields(**{"from": date(2024, 3, 1), "to": date(2024, 1, 1)}), TODAY)

    def test_every_field_error_is_said(self) -> None:
        """A bad batch size and a bad run id: both reasons, each with its field."""
        with pytest.raises(InvalidRunRequest) as caught:
            checked_request(_fields(batch_size=0, run_id="../x"), TODAY)

        reason = str(caught.value)
        assert "batch_size:" in reason
        assert "run_id:" in reason

    def test_malformed_tickers_are_named_with_a_hint(self) -> None:
        """`BRK-B` is refused before any request is spent on it, with Polygon's spelling."""
        with pytest.raises(InvalidRunRequest, match=r"tickers: 'BRK-B' is not .*: BRK\.B\?"):
            checked_request(_fields(tickers=["AAPL", "BRK-B"]), TODAY)

    def test_an_empty_ticker_list_is_refused(self) -> None:
        """`--tickers ""` is not the whole universe."""
        with pytest.raises(InvalidRunRequest, match="tickers:"):
            checked_request(_fields(tickers=[]), TODAY)
