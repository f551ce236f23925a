"""Parsing of recorded bodies into DailyBar and TickerRef, empty results and DELAYED."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from shared.clients.polygon import DailyBar, PolygonMalformedResponse, TickerRef

from .fakes import Harness, fixture_body, ok

pytestmark = pytest.mark.unit

AAPL = "v2_aggs_ticker_AAPL_range_1_day_2005-04-01_2005-04-04.json"
GROUPED = "v2_aggs_grouped_locale_us_market_stocks_2005-04-04__adjusted=true.json"
TICKERS_1 = "v3_reference_tickers__page1.json"


class TestDailyBars:
    async def test_parses_the_recorded_aapl_range(self) -> None:
        """Every field of the recorded bars lands in DailyBar, ticker and adjusted as requested."""
        h = Harness([ok(fixture_body(AAPL))])

        bars = await h.client.daily_bars("AAPL", date(2005, 4, 1), date(2005, 4, 4), adjusted=True)

        first = DailyBar(
            ticker="AAPL",
            trading_date=date(2005, 4, 1),
            open=1.5032,
            high=1.5064,
            low=1.4489,
            close=1.4604,
            volume=642646396.0,
            vwap=1.469,
            transactions=82132,
            otc=False,
            t_ms=1112331600000,
            adjusted=True,
        )
        assert [first, 2] == [bars[0], len(bars)]

    async def test_trading_date_is_new_york_across_dst(self) -> None:
        """t at NY midnight gives 04-01 (EST, 05:00Z) and 04-04 (EDT, 04:00Z), not UTC dates."""
        h = Harness([ok(fixture_body(AAPL))])

        bars = await h.client.daily_bars("AAPL", date(2005, 4, 1), date(2005, 4, 4), adjusted=True)

        assert [date(2005, 4, 1), date(2005, 4, 4)] == [b.trading_date for b in bars]

    async def test_late_evening_bar_keeps_new_york_date(self) -> None:
        """A bar at 21:00 ET (02:00Z next day) belongs to the New York date, not the UTC one."""
        t = int(datetime(2024, 1, 11, 2, 0, tzinfo=UTC).timestamp() * 1000)
        body = {"status": "OK", "results": [{"o": 1, "h": 1, "l": 1, "c": 1, "v": 0.5, "t": t}]}
        h = Harness([ok(body)])

        bars = await h.client.daily_bars("X", date(2024, 1, 10), date(2024, 1, 10))

        assert (date(2024, 1, 10), 0.5, None, None) == (
            bars[0].trading_date, bars[0].volume, bars[0].vwap, bars[0].transactions,
        )  # fmt: skip

    async def test_adjusted_false_is_recorded_on_each_bar(self) -> None:
        """The adjusted flag of the request is carried by every bar."""
        h = Harness([ok(fixture_body(AAPL))])

        bars = await h.client.daily_bars("AAPL", date(2005, 4, 1), date(2005, 4, 4), adjusted=False)

        expected = [False, False]
        assert expected == [b.adjusted for b in bars]


class TestGroupedDaily:
    async def test_ticker_comes_from_t_and_date_from_new_york_close(self) -> None:
        """Grouped rows take the ticker from `T`; t=16:00 ET gives that day's date."""
        h = Harness([ok(fixture_body(GROUPED))])

        bars = await h.client.grouped_daily(date(2005, 4, 4), adjusted=True)

        assert [("GIK", date(2020, 10, 14), 895345.0, 96)] == [
            (b.ticker, b.trading_date, b.volume, b.transactions) for b in bars
        ]

    async def test_otc_flag_is_kept(self) -> None:
        """A row flagged otc gives a bar with otc True; others default to False."""
        rows = [
            {"T": "KIMpL", "o": 1, "h": 1, "l": 1, "c": 1, "v": 1, "t": 1602705600000},
            {"T": "OTCX", "o": 1, "h": 1, "l": 1, "c": 1, "v": 1, "t": 1602705600000, "otc": True},
        ]
        h = Harness([ok({"status": "OK", "results": rows})])

        bars = await h.client.grouped_daily(date(2020, 10, 14), include_otc=True)

        expected = [("KIMpL", False), ("OTCX", True)]
        assert expected == [(b.ticker, b.otc) for b in bars]

    async def test_row_without_t_is_malformed(self) -> None:
        """A grouped row with no `T` cannot be attributed: the body is malformed."""
        row = {"o": 1, "h": 1, "l": 1, "c": 1, "v": 1, "t": 1602705600000}
        h = Harness([ok({"status": "OK", "results": [row]})])

        with pytest.raises(PolygonMalformedResponse) as caught:
            await h.client.grouped_daily(date(2020, 10, 14))

        expected = "malformed_response"
        assert expected == caught.value.kind


T_2020_10_14 = 1602705600000  # 16:00 ET


class TestRowsOffThePlainPath:
    """Rows the plain (fast) path leaves to the row-by-row one parse or fail as before."""

    async def test_a_range_row_with_a_numeric_t_symbol_is_malformed(self) -> None:
        """A range row's `T` is ignored but must still be a string: a number makes it malformed,
        naming the field."""
        row = {"T": 7, "o": 1, "h": 1, "l": 1, "c": 1, "v": 1, "t": T_2020_10_14}
        h = Harness([ok({"status": "OK", "results": [row]})])

        with pytest.raises(PolygonMalformedResponse) as caught:
            await h.client.daily_bars("X", date(2020, 10, 14), date(2020, 10, 14))

        assert "T:string_type" in str(caught.value)

    async def test_an_empty_grouped_symbol_is_malformed(self) -> None:
        """A grouped row whose `T` is empty cannot be attributed, like one without `T`."""
        rows = [
            {"T": "AAA", "o": 1, "h": 1, "l": 1, "c": 1, "v": 1, "t": T_2020_10_14},
            {"T": "", "o": 1, "h": 1, "l": 1, "c": 1, "v": 1, "t": T_2020_10_14},
        ]
        h = Harness([ok({"status": "OK", "results": rows})])

        with pytest.raises(PolygonMalformedResponse) as caught:
            await h.client.grouped_daily(date(2020, 10, 14))

        assert "no `T`" in str(caught.value)

    async def test_a_price_that_is_not_a_number_is_malformed(self) -> None:
        """A page with one bad price fails whole, naming the field and the error type."""
        rows = [
            {"T": "AAA", "o": 1, "h": 1, "l": 1, "c": 1, "v": 1, "t": T_2020_10_14},
            {"T": "BBB", "o": "abc", "h": 1, "l": 1, "c": 1, "v": 1, "t": T_2020_10_14},
        ]
        h = Harness([ok({"status": "OK", "results": rows})])

        with pytest.raises(PolygonMalformedResponse) as caught:
            await h.client.grouped_daily(date(2020, 10, 14))

        assert "o:float_parsing" in str(caught.value)

    async def test_lax_values_parse_as_before(self) -> None:
        """A whole-number float `t`, numbers sent as strings and whole-number prices parse to
        the same bar as plain values: the row-by-row path's lax parsing."""
        rows = [
            {"T": "AAA", "o": 2, "h": "3.5", "l": 1, "c": 2.5, "v": 10, "t": T_2020_10_14},
            {"T": "BBB", "o": 2, "h": 3.5, "l": 1, "c": 2.5, "v": 10, "t": float(T_2020_10_14)},
        ]
        h = Harness([ok({"status": "OK", "results": rows})])

        bars = await h.client.grouped_daily(date(2020, 10, 14))

        expected = [
            ("AAA", date(2020, 10, 14), 2.0, 3.5, 1.0, 2.5, 10.0, T_2020_10_14),
            ("BBB", date(2020, 10, 14), 2.0, 3.5, 1.0, 2.5, 10.0, T_2020_10_14),
        ]
        assert expected == [
            (b.ticker, b.trading_date, b.open, b.high, b.low, b.close, b.volume, b.t_ms)
            for b in bars
        ]
        assert [float, int] == [type(bars[0].open), type(bars[1].t_ms)]

    @pytest.mark.parametrize(
        "row",
        [
            {"o": 2, "h": 3, "l": 1, "c": 2, "v": 10, "vw": 2, "n": 7, "otc": True},
            {"o": 2.5, "h": 3.5, "l": 1.5, "c": 2.5, "v": 10.5, "vw": 2.25},
            {"o": 2.5, "h": 3.5, "l": 1.5, "c": 2.5, "v": 10.5, "otc": False},
        ],
        ids=["whole-numbers-and-otc", "no-n-no-otc", "no-vwap"],
    )
    async def test_both_paths_make_the_same_bar_of_a_row(self, row: dict[str, Any]) -> None:
        """A row parsed on the plain path (a page of plain rows) and on the row-by-row one (the
        same page with a string price on another row) gives equal bars, value and type."""
        plain = {"T": "AAA", "t": T_2020_10_14, **row}
        lax = {"T": "BBB", "o": "1", "h": 1, "l": 1, "c": 1, "v": 1, "t": T_2020_10_14}
        h = Harness(
            [
                ok({"status": "OK", "results": [plain]}),
                ok({"status": "OK", "results": [plain, lax]}),
            ]
        )

        [fast] = await h.client.grouped_daily(date(2020, 10, 14))
        slow, _ = await h.client.grouped_daily(date(2020, 10, 14))

        assert fast == slow
        assert [type(v) for v in fast] == [type(v) for v in slow]
        assert (fast.open, fast.vwap, fast.otc) == (
            float(row["o"]),
            row.get("vw"),
            row.get("otc", False),
        )


class TestTickers:
    async def test_parses_tickers_with_optional_fields_and_raw(self) -> None:
        """TickerRef carries the listed fields, parsed timestamps and the raw item."""
        body = fixture_body(TICKERS_1)
        del body["next_url"]
        h = Harness([ok(body)])

        refs = [t async for t in h.client.list_tickers()]

        expected = TickerRef(
            ticker="A",
            name="Agilent Technologies Inc.",
            market="stocks",
            locale="us",
            primary_exchange="XNYS",
            type="CS",
            active=True,
            currency_name="usd",
            cik="0001090872",
            composite_figi="BBG000C2V3D6",
            share_class_figi="BBG001SCTQY4",
            last_updated_utc=datetime(2022, 4, 27, tzinfo=UTC),
            delisted_utc=None,
            raw=body["results"][0],
        )
        assert [expected, "AA"] == [refs[0], refs[1].ticker]

    async def test_missing_optional_fields_are_none(self) -> None:
        """A ticker without cik (like AAA upstream) parses with cik None."""
        item = {"ticker": "AAA", "name": "n", "market": "stocks", "locale": "us"}
        h = Harness([ok({"status": "OK", "results": [item]})])

        refs = [t async for t in h.client.list_tickers()]

        expected = [("AAA", None, None)]
        assert expected == [(r.ticker, r.cik, r.delisted_utc) for r in refs]


class TestEmptyResults:
    @pytest.mark.parametrize(
        "body",
        [
            {"ticker": "AAMC", "queryCount": 0, "resultsCount": 0, "status": "OK"},
            {"status": "OK", "results": None},
            {"status": "OK", "results": []},
        ],
        ids=["missing", "null", "empty"],
    )
    async def test_no_results_is_an_empty_list(self, body: dict[str, object]) -> None:
        """Missing `results`, null and [] are all a success with no bars."""
        h = Harness([ok(body)])

        bars = await h.client.daily_bars("AAMC", date(2024, 1, 6), date(2024, 1, 7))

        expected: tuple[list[DailyBar], int] = ([], 1)
        assert expected == (bars, h.client.requests_made)

    async def test_delayed_status_is_success(self) -> None:
        """status DELAYED parses like OK."""
        body = fixture_body(AAPL) | {"status": "DELAYED"}
        h = Harness([ok(body)])

        bars = await h.client.daily_bars("AAPL", date(2005, 4, 1), date(2005, 4, 4))

        expected = 2
        assert expected == len(bars)

    async def test_empty_grouped_day_is_an_empty_list(self) -> None:
        """A weekend grouped day with no results is []."""
        h = Harness([httpx.Response(200, json={"status": "OK", "resultsCount": 0})])

        expected: list[DailyBar] = []
        assert expected == await h.client.grouped_daily(date(2024, 1, 6))
