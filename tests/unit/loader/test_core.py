"""The loader's pure core: the object's header, a line into rows or a ticker's error, and the
trading date in New York."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import orjson
import pytest

from services.loader.core import (
    BAR_COLUMNS,
    MalformedObject,
    bar_row,
    parse_header,
    ticker_line,
    ticker_row,
)
from shared.clients.polygon import trading_date_of
from shared.messages.raw_objects import ObjectHeader, TickerError

pytestmark = pytest.mark.unit

NEW_YORK = ZoneInfo("America/New_York")
KEY = "raw/polygon/r1/b00000.jsonl"
HEAD = ObjectHeader(
    kind="daily_bars", run_id="r1", batch_id="b00000", source="aggs_range", adjusted=False, items=1
)
TICKERS_HEAD = ObjectHeader(
    kind="tickers", run_id="r1", batch_id="tickers", source="reference_tickers", items=1
)
# From the recorded AAPL range fixture: 2005-04-01 (EST) and 2005-04-04 (EDT since 04-03).
BAR = {
    "v": 578172308.0,
    "vw": 1.4589,
    "o": 1.4639,
    "c": 1.4675,
    "h": 1.4754,
    "l": 1.4343,
    "t": 1112587200000,
    "n": 65543,
}


def ny_ms(year: int, month: int, day: int, hour: int = 0) -> int:
    return int(datetime(year, month, day, hour, tzinfo=NEW_YORK).timestamp() * 1000)


def line(ticker: str = "AAPL", **fields: Any) -> bytes:
    return orjson.dumps({"ticker": ticker, **fields})


class TestParseHeader:
    def test_a_valid_header_is_read(self) -> None:
        """The first line as the fetcher wrote it."""
        raw = HEAD.model_dump_json(by_alias=True).encode()

        assert HEAD == parse_header(raw)

    @pytest.mark.parametrize(
        ("raw", "why"),
        [
            (None, "empty object"),
            (b"{not json", "bad header"),
            (
                b'{"kind": "minute_bars", "run_id": "r1", "batch_id": "b", "source": "aggs_range",'
                b' "items": 0}',
                "bad header",
            ),
            (
                b'{"kind": "daily_bars", "run_id": "../etc", "batch_id": "b",'
                b' "source": "aggs_range", "items": 0}',
                "bad header",
            ),
            (
                b'{"kind": "daily_bars", "run_id": "r1", "batch_id": "b", "source": "aggs_range",'
                b' "items": -1}',
                "bad header",
            ),
            (b"[]", "bad header"),
        ],
    )
    def test_an_unusable_header_is_a_malformed_object(self, raw: bytes | None, why: str) -> None:
        """No header, or one that does not validate: the whole object is malformed."""
        with pytest.raises(MalformedObject, match=why):
            parse_header(raw)


class TestTradingDate:
    @pytest.mark.parametrize(
        "day", [date(2024, 1, 16), date(2024, 3, 11), date(2024, 7, 1), date(2024, 11, 4)]
    )
    def test_midnight_and_the_close_in_new_york_fall_on_the_same_date(self, day: date) -> None:
        """A bar stamped 00:00 ET (range) or 16:00 ET (grouped) is that New York date, in
        winter, summer and the Mondays after both DST changes."""
        midnight, close = (
            ny_ms(day.year, day.month, day.day),
            ny_ms(day.year, day.month, day.day, 16),
        )

        assert (day, day) == (trading_date_of(midnight), trading_date_of(close))

    def test_the_recorded_fixture_dates_cross_the_2005_dst_change(self) -> None:
        """The AAPL fixture's t values are 2005-04-01 (EST) and 2005-04-04 (EDT)."""
        assert (date(2005, 4, 1), date(2005, 4, 4)) == (
            trading_date_of(1112331600000),
            trading_date_of(1112587200000),
        )

    def test_the_date_is_new_yorks_not_utcs(self) -> None:
        """20:00 ET is already tomorrow in UTC; the trading date stays New York's."""
        t = ny_ms(2024, 7, 1, 20)

        assert (date(2024, 7, 1), date(2024, 7, 2)) == (
            trading_date_of(t),
            datetime.fromtimestamp(t / 1000, UTC).date(),
        )


class TestBarRow:
    def test_a_bar_becomes_a_row_in_column_order(self) -> None:
        """Values as sent, the header's adjusted flag and source, and where it came from."""
        row = dict(zip(BAR_COLUMNS, bar_row(BAR, "AAPL", HEAD, KEY), strict=True))

        assert {
            "ticker": "AAPL",
            "trading_date": date(2005, 4, 4),
            "adjusted": False,
            "open": 1.4639,
            "high": 1.4754,
            "low": 1.4343,
            "close": 1.4675,
            "volume": 578172308.0,
            "vwap": 1.4589,
            "transactions": 65543,
            "otc": False,
            "bar_ts_ms": 1112587200000,
            "source": "aggs_range",
            "run_id": "r1",
            "object_key": KEY,
        } == row

    def test_missing_vwap_and_transactions_are_null(self) -> None:
        """Optional values the API left out load as NULL."""
        bare = {k: v for k, v in BAR.items() if k not in ("vw", "n")}

        row = dict(zip(BAR_COLUMNS, bar_row(bare, "AAPL", HEAD, KEY), strict=True))

        assert (None, None) == (row["vwap"], row["transactions"])

    @pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
    @pytest.mark.parametrize("field", ["o", "h", "l", "c", "v", "vw"])
    def test_non_finite_numbers_are_rejected(self, field: str, bad: float) -> None:
        """NaN and infinities never reach the table."""
        with pytest.raises(ValueError, match="not a finite number"):
            bar_row({**BAR, field: bad}, "AAPL", HEAD, KEY)

    @pytest.mark.parametrize("bad", [True, "1.5", None, [1]])
    def test_non_numbers_are_rejected(self, bad: object) -> None:
        """A boolean, a string or a list is not a price."""
        with pytest.raises(ValueError, match="not a finite number"):
            bar_row({**BAR, "o": bad}, "AAPL", HEAD, KEY)

    @pytest.mark.parametrize("bad", [1112587200000.0, "1112587200000", True])
    def test_t_must_be_an_integer(self, bad: object) -> None:
        """The timestamp is an integer count of milliseconds, nothing else."""
        with pytest.raises(ValueError, match="t is not an integer"):
            bar_row({**BAR, "t": bad}, "AAPL", HEAD, KEY)


class TestTickerLine:
    def test_a_good_line_gives_its_rows(self) -> None:
        """A ticker with bars: one row per bar, no error."""
        ticker, rows, error = ticker_line(line(bars=[BAR, {**BAR, "t": 1112331600000}]), HEAD, KEY)

        assert ("AAPL", 2, None) == (ticker, len(rows), error)

    def test_tickers_keep_their_case_and_punctuation(self) -> None:
        """`BRK.A` and `KIMpL` are stored exactly as received."""
        names = [ticker_line(line(t, bars=[BAR]), HEAD, KEY)[1][0][0] for t in ("BRK.A", "KIMpL")]

        assert ["BRK.A", "KIMpL"] == names

    def test_a_recorded_error_passes_through(self) -> None:
        """The fetcher's error for a ticker is the ticker's error; no rows."""
        err = {"kind": "not_entitled", "reason": "403"}

        assert ("X", [], TickerError(**err)) == ticker_line(line("X", error=err), HEAD, KEY)

    @pytest.mark.parametrize(
        "raw",
        [b"{not json", b"[]", b'{"bars": []}', b'{"ticker": ""}', b'{"ticker": "A", "bars": [1]}'],
    )
    def test_an_unreadable_line_is_a_malformed_object_error(self, raw: bytes) -> None:
        """A line that is not a ticker's outcome costs that line, with no ticker known."""
        ticker, rows, error = ticker_line(raw, HEAD, KEY)

        assert (None, [], "malformed_object") == (ticker, rows, error and error.kind)

    @pytest.mark.parametrize(
        "name", ["AB\x00C", "A B", "\x1b[2J", "X\x7f", "TAB\t", "NL\n", "T" * 33]
    )
    def test_a_ticker_postgres_could_not_store_is_rejected(self, name: str) -> None:
        """A ticker with control characters, whitespace or over 32 characters costs itself:
        invalid_ticker, named by its line (None here), since the ticker cannot be stored."""
        ticker, rows, error = ticker_line(line(name, bars=[BAR]), HEAD, KEY)

        assert (None, [], "invalid_ticker") == (ticker, rows, error and error.kind)

    @pytest.mark.parametrize(
        "bar",
        [
            {k: v for k, v in BAR.items() if k != "o"},
            {**BAR, "h": "1.5"},
            {**BAR, "t": 1.5},
            {**BAR, "n": "many"},
            {**BAR, "t": 10**15},
        ],
    )
    def test_a_bad_bar_costs_its_ticker_not_the_batch(self, bar: dict[str, Any]) -> None:
        """One bad bar: the ticker loads no rows and records malformed_bar."""
        ticker, rows, error = ticker_line(line("AAPL", bars=[BAR, bar]), HEAD, KEY)

        assert ("AAPL", [], "malformed_bar") == (ticker, rows, error and error.kind)

    @pytest.mark.parametrize("n", [1.5, "12", True, 2**63])
    def test_transactions_must_be_an_integer_a_bigint_holds(self, n: object) -> None:
        """A transactions count that is not a bigint-sized integer is a malformed bar."""
        ticker, rows, error = ticker_line(line("AAPL", bars=[{**BAR, "n": n}]), HEAD, KEY)

        assert ("AAPL", [], "malformed_bar") == (ticker, rows, error and error.kind)

    def test_a_long_reason_is_cut(self) -> None:
        """Reasons stay short enough for a table cell."""
        _, _, error = ticker_line(b"{" + b"x" * 5000, HEAD, KEY)

        assert error is not None and 300 >= len(error.reason)


class TestTickerRow:
    ITEM: ClassVar[dict[str, Any]] = {
        "ticker": "BRK.A",
        "name": "Berkshire Hathaway",
        "market": "stocks",
        "locale": "us",
        "primary_exchange": "XNYS",
        "type": "CS",
        "active": True,
        "currency_name": "usd",
        "cik": "0001067983",
        "composite_figi": "BBG000DWG505",
        "share_class_figi": "BBG001S5N8T1",
        "last_updated_utc": "2024-04-01T00:00:00Z",
        "extra": "ignored",
    }

    def test_a_listing_item_becomes_a_row(self) -> None:
        """Fields in column order, timestamps parsed, run and object appended."""
        row = ticker_row(orjson.dumps(self.ITEM), TICKERS_HEAD, KEY)

        assert (
            "BRK.A",
            "Berkshire Hathaway",
            "stocks",
            "us",
            "XNYS",
            "CS",
            True,
            "usd",
            "0001067983",
            "BBG000DWG505",
            "BBG001S5N8T1",
            datetime(2024, 4, 1, tzinfo=UTC),
            None,
            "r1",
            KEY,
        ) == row

    @pytest.mark.parametrize("raw", [b"[]", b'{"name": "x"}', b'{"ticker": 5}', b"{oops"])
    def test_an_entry_without_a_ticker_is_rejected(self, raw: bytes) -> None:
        """The loader skips (and logs) listing entries it cannot key."""
        with pytest.raises(ValueError):
            ticker_row(raw, TICKERS_HEAD, KEY)
