"""Ids and tickers are checked at the edge: whatever passes is safe as an object key segment, a
SQL text value and a log field, so no side effect can fail on it later."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from shared.messages import BatchLoaded, FetchBatch, RunRequest

pytestmark = pytest.mark.unit


def batch(**fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "run_id": "r1",
        "message_id": "r1/b00000/fetch",
        "batch_id": "b00000",
        "seq": 0,
        "total_batches": 2,
        "tickers": ["AAPL"],
        "from": "2024-01-02",
        "to": "2024-01-05",
    }
    return values | fields


class TestIds:
    @pytest.mark.parametrize("run_id", ["..", ".", ".hidden", "-x", "a/b", "a b", "x" * 65, ""])
    def test_a_run_id_that_is_not_a_safe_key_segment_is_refused(self, run_id: str) -> None:
        """Dots alone, a leading dot or dash, a slash, a space, too long, empty: all refused."""
        with pytest.raises(ValidationError):
            RunRequest.model_validate({"run_id": run_id})

    @pytest.mark.parametrize("batch_id", ["..", "b\x00", "b/1"])
    def test_a_batch_id_that_is_not_a_safe_key_segment_is_refused(self, batch_id: str) -> None:
        """The fetcher would write the object under it: refused before any API call."""
        with pytest.raises(ValidationError):
            FetchBatch.model_validate(batch(batch_id=batch_id))

    def test_ordinary_ids_pass(self) -> None:
        """Generated and hand-written ids alike."""
        loaded = BatchLoaded.model_validate(
            {
                "run_id": "20240310-233000-p3o41",
                "message_id": "20240310-233000-p3o41/g00002/loaded",
                "batch_id": "g00002",
                "object_key": "raw/polygon/x/g00002.jsonl",
                "bars_loaded": 1,
                "tickers_failed": 0,
            }
        )

        assert ("20240310-233000-p3o41", "g00002") == (loaded.run_id, loaded.batch_id)


class TestTickers:
    @pytest.mark.parametrize("ticker", ["A\x00B", "", " AAPL", "AA PL", "X" * 33, "A\x7f"])
    def test_a_ticker_Postgres_or_a_key_would_refuse_is_refused(self, ticker: str) -> None:
        """NUL, control characters, whitespace, empty or over 32 characters."""
        with pytest.raises(ValidationError):
            FetchBatch.model_validate(batch(tickers=[ticker]))

    def test_a_ticker_of_the_wrong_json_type_is_refused(self) -> None:
        """A number where a ticker belongs never reaches the fetcher or asyncpg."""
        with pytest.raises(ValidationError):
            RunRequest.model_validate_json(b'{"tickers": [42]}')

    def test_vendor_spellings_pass(self) -> None:
        """Case, dots and slashes as the vendor spells them."""
        parsed = FetchBatch.model_validate(
            batch(tickers=["BRK.A", "KIMpL", "BF/B"], starts={"KIMpL": "2024-01-03"})
        )

        assert (["BRK.A", "KIMpL", "BF/B"], {"KIMpL": date(2024, 1, 3)}) == (
            parsed.tickers,
            parsed.starts,
        )
