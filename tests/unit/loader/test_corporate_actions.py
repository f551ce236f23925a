"""The loader's pure logic for splits and dividends: each event as sent becomes a row or a
rejection with its reason; an id sent twice is one row, or, with different values, rejected."""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson
import pytest

from services.loader.corporate_actions import event_rows, split_row

pytestmark = pytest.mark.unit

SPLIT = {
    "id": "S1",
    "ticker": "AAPL",
    "execution_date": "2024-06-10",
    "split_from": 1,
    "split_to": 4,
}
DIVIDEND = {
    "id": "D1",
    "ticker": "MSFT",
    "ex_dividend_date": "2024-06-14",
    "cash_amount": 0.75,
    "currency": "USD",
    "declaration_date": "2024-06-01",
    "record_date": "2024-06-15",
    "pay_date": "2024-07-01",
    "frequency": 4,
    "dividend_type": "CD",
}


def lines(*events: Any) -> list[bytes]:
    return [orjson.dumps(e) for e in events]


def reasons(kind: str, raw: list[bytes]) -> list[str]:
    rows, rejected = event_rows(kind, raw)
    assert [] == rows
    return [r.reason for r in rejected]


class TestValidRows:
    def test_a_split_is_a_row_of_its_values(self) -> None:
        """id, ticker, execution date and the ratio as floats."""
        rows, rejected = event_rows("splits", lines(SPLIT))

        assert ([("S1", "AAPL", date(2024, 6, 10), 1.0, 4.0)], []) == (rows, rejected)

    def test_a_dividend_is_a_row_of_its_values(self) -> None:
        """Every column, dates parsed; a cash amount of 0 is a valid (if odd) dividend."""
        rows, _ = event_rows(
            "dividends", lines(DIVIDEND, {**DIVIDEND, "id": "D2", "cash_amount": 0})
        )

        assert [
            ("D1", "MSFT", date(2024, 6, 14), 0.75, "USD", date(2024, 6, 1), date(2024, 6, 15),
             date(2024, 7, 1), 4, "CD"),
            ("D2", "MSFT", date(2024, 6, 14), 0.0, "USD", date(2024, 6, 1), date(2024, 6, 15),
             date(2024, 7, 1), 4, "CD"),
        ] == rows  # fmt: skip

    def test_a_dividend_needs_only_its_id_ticker_ex_date_and_amount(self) -> None:
        """Optional fields left out are nulls."""
        minimal = {k: DIVIDEND[k] for k in ("id", "ticker", "ex_dividend_date", "cash_amount")}

        [row], _ = event_rows("dividends", lines(minimal))

        assert ("D1", "MSFT", date(2024, 6, 14), 0.75, None, None, None, None, None, None) == row


class TestRejectedSplits:
    @pytest.mark.parametrize(
        ("change", "why"),
        [
            ({"split_from": 0}, "split_from must be > 0"),
            ({"split_to": -2}, "split_to must be > 0"),
            ({"split_from": True}, "split_from is not a finite number"),
            ({"split_to": "4"}, "split_to is not a finite number"),
            ({"split_to": None}, "split_to is not a finite number"),
            ({"id": None}, "id is not a short string"),
            ({"id": ""}, "id is not a short string"),
            ({"id": 7}, "id is not a short string"),
            ({"ticker": None}, "ticker is not a short string"),
            ({"ticker": "AA\x00PL"}, "ticker has control characters"),
            ({"id": "S1\n"}, "id has control characters"),
            ({"execution_date": None}, "execution_date is not a date"),
            ({"execution_date": "2024-13-01"}, "execution_date is not a date"),
            ({"execution_date": 20240610}, "execution_date is not a date"),
        ],
    )
    def test_a_bad_value_is_rejected_with_its_reason(
        self, change: dict[str, Any], why: str
    ) -> None:
        """Wrong types, missing fields, ratios <= 0, control characters: no row, a reason."""
        [reason] = reasons("splits", lines({**SPLIT, **change}))

        assert why == reason[: len(why)]

    @pytest.mark.parametrize("text", [b"NaN", b"Infinity", b"-Infinity", b"1e400"])
    def test_a_ratio_that_is_not_finite_is_rejected(self, text: bytes) -> None:
        """NaN and infinities are not JSON: the whole line is rejected, never a factor."""
        raw = b'{"id": "S1", "ticker": "AAPL", "execution_date": "2024-06-10", "split_from": 1, '
        [reason] = reasons("splits", [raw + b'"split_to": ' + text + b"}"])

        assert "not a JSON object" == reason

    @pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
    def test_a_non_finite_float_is_never_a_ratio(self, value: float) -> None:
        """Even handed a Python NaN or infinity, the split's row refuses it."""
        with pytest.raises(ValueError, match="split_to is not a finite number"):
            split_row({**SPLIT, "split_to": value})


class TestRejectedDividends:
    @pytest.mark.parametrize(
        ("change", "why"),
        [
            ({"cash_amount": -0.01}, "cash_amount must be >= 0"),
            ({"cash_amount": "0.75"}, "cash_amount is not a finite number"),
            ({"cash_amount": False}, "cash_amount is not a finite number"),
            ({"ex_dividend_date": "14/06/2024"}, "ex_dividend_date is not a date"),
            ({"pay_date": "soon"}, "pay_date is not a date"),
            ({"frequency": 4.5}, "frequency is not a count a year"),
            ({"currency": "US\x07D"}, "currency has control characters"),
        ],
    )
    def test_a_bad_value_is_rejected_with_its_reason(
        self, change: dict[str, Any], why: str
    ) -> None:
        """A negative or non-numeric amount, a bad date or count: no row, a reason."""
        [reason] = reasons("dividends", lines({**DIVIDEND, **change}))

        assert why == reason[: len(why)]


class TestUnreadableLines:
    @pytest.mark.parametrize("raw", [b"[1, 2]", b'"S1"', b"3", b"null"])
    def test_a_line_that_is_not_an_object_is_rejected_by_its_line(self, raw: bytes) -> None:
        """No id to name it by: the ledger keys it by its line (the header is line 1)."""
        _, [rejected] = event_rows("splits", [raw])

        assert ("<line 2>", None, "not a JSON object", orjson.loads(raw)) == (
            rejected.event_id,
            rejected.ticker,
            rejected.reason,
            orjson.loads(rejected.payload),
        )

    def test_a_line_that_is_not_json_is_kept_as_a_string(self) -> None:
        """The payload is the text as sent, as a JSON string; the good lines still load."""
        rows, [rejected] = event_rows("splits", [*lines(SPLIT), b"{oops"])

        assert (1, "<line 3>", "{oops") == (
            len(rows),
            rejected.event_id,
            orjson.loads(rejected.payload),
        )

    def test_a_rejection_names_the_event_by_its_id_and_ticker_when_usable(self) -> None:
        """The id and ticker as sent when they are clean strings; the payload as sent."""
        bad = {**SPLIT, "split_from": 0}

        _, [rejected] = event_rows("splits", lines(bad))

        assert ("S1", "AAPL", bad) == (
            rejected.event_id,
            rejected.ticker,
            orjson.loads(rejected.payload),
        )


class TestNulInPayloads:
    @pytest.mark.parametrize(
        "raw",
        [
            b'{"id": "S1", "ticker": "AA\\u0000PL", "execution_date": "2024-06-10"}',
            b'{"id": "S1\\u0000", "note\\u0000": ["\\u0000"]}',
            b'"\\u0000"',
            b"{\x00oops",
        ],
    )
    def test_a_nul_never_reaches_jsonb(self, raw: bytes) -> None:
        """jsonb cannot hold \\u0000: the payload carries U+FFFD instead, and stays JSON."""
        _, [rejected] = event_rows("splits", [raw])

        text = orjson.loads(rejected.payload)
        assert (False, True) == ("\\u0000" in rejected.payload, "\ufffd" in str(text))


class TestRepeatedIds:
    def test_the_same_event_twice_is_one_row(self) -> None:
        """An id sent twice with identical values (overlapping pages) is one row."""
        rows, rejected = event_rows("splits", lines(SPLIT, dict(reversed(SPLIT.items()))))

        assert (1, []) == (len(rows), rejected)

    def test_one_id_with_different_values_rejects_every_copy(self) -> None:
        """Neither copy can be trusted: no row, each copy in the ledger under its own key."""
        other = {**SPLIT, "split_to": 5}

        rows, rejected = event_rows("splits", lines(SPLIT, other, {**SPLIT, "id": "S2"}))

        reason = "conflicting values for one id in one answer (2 copies)"
        assert (["S2"], [("S1#0", reason, SPLIT), ("S1#1", reason, other)]) == (
            [r[0] for r in rows],
            [(r.event_id, r.reason, orjson.loads(r.payload)) for r in rejected],
        )
