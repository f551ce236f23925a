"""The loader's column-at-a-time path gives exactly the rows of the bar-by-bar path, and hands
every bar it cannot vouch for to that path."""

from __future__ import annotations

import random
from typing import Any

import orjson
import pytest

from services.loader.core import bar_row, ticker_line
from services.loader.fast_rows import fast_rows
from shared.messages.raw_objects import ObjectHeader

pytestmark = pytest.mark.unit

HEAD = ObjectHeader.model_validate(
    {"kind": "daily_bars", "run_id": "r1", "batch_id": "b1", "source": "aggs_range", "items": 1}
)
KEY = "raw/polygon/r1/b1.jsonl"
T0 = 1719806400000  # 2024-07-01 00:00 in New York


def random_bar(rng: random.Random, i: int) -> dict[str, Any]:
    """A valid bar as the API may send it: ints or floats, optional keys present or not."""
    bar: dict[str, Any] = {"t": T0 + i * 86_400_000}
    for k in "ohlc":
        bar[k] = rng.choice([rng.randint(1, 500), round(rng.uniform(1, 500), 4)])
    bar["v"] = rng.choice([rng.randint(0, 10**9), rng.uniform(0, 1e9)])
    if rng.random() < 0.7:
        bar["vw"] = rng.choice([rng.randint(1, 500), rng.uniform(1, 500)])
    if rng.random() < 0.7:
        bar["n"] = rng.randint(0, 10**6)
    if rng.random() < 0.2:
        bar["otc"] = rng.random() < 0.5
    return bar


def as_loaded(bars: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the loader sees: the bars after a JSON round trip."""
    loaded: list[dict[str, Any]] = orjson.loads(orjson.dumps(bars))
    return loaded


class TestSameRows:
    @pytest.mark.parametrize("seed", range(5))
    def test_valid_bars_give_the_bar_by_bar_rows(self, seed: int) -> None:
        """200 random valid bars: the same tuples, types included, as `bar_row` gives."""
        rng = random.Random(seed)
        bars = as_loaded([random_bar(rng, i) for i in range(200)])

        expected = [bar_row(b, "BRK.A", HEAD, KEY) for b in bars]
        actual = fast_rows(bars, "BRK.A", HEAD, KEY)

        assert [[(v, type(v)) for v in r] for r in expected] == [
            [(v, type(v)) for v in r] for r in actual or []
        ]

    @pytest.mark.parametrize("seed", range(3))
    def test_bars_that_all_carry_vw_and_n_give_the_bar_by_bar_rows(self, seed: int) -> None:
        """The usual answer (every bar with vw and n, none with otc) takes the column path
        for those keys too, with the same tuples."""
        rng = random.Random(seed)
        bars = as_loaded([random_bar(rng, i) | {"vw": 10 + i, "n": i} for i in range(50)])
        for bar in bars:
            bar.pop("otc", None)

        expected = [bar_row(b, "A", HEAD, KEY) for b in bars]
        actual = fast_rows(bars, "A", HEAD, KEY)

        assert [[(v, type(v)) for v in r] for r in expected] == [
            [(v, type(v)) for v in r] for r in actual or []
        ]

    def test_no_bars_are_no_rows(self) -> None:
        """A ticker without bars in the range loads nothing, and is not an error."""
        assert [] == fast_rows([], "NEWCO", HEAD, KEY)


BAD_BARS = [
    pytest.param({"o": True}, id="bool price"),
    pytest.param({"c": "10.5"}, id="string price"),
    pytest.param({"v": None}, id="null volume"),
    pytest.param({"t": 1.5e12}, id="float t"),
    pytest.param({"t": -1}, id="negative t"),
    pytest.param({"t": 2**63}, id="t too large"),
    pytest.param({"t": 10**17}, id="t beyond the calendar"),
    pytest.param({"n": -3}, id="negative count"),
    pytest.param({"n": 4.0}, id="float count"),
    pytest.param({"vw": "x"}, id="string vwap"),
    pytest.param({"vw": False}, id="bool vwap"),
]


class TestDoubtfulBarsGoTheLongWay:
    @pytest.mark.parametrize("change", BAD_BARS)
    def test_a_bad_bar_is_left_to_the_bar_by_bar_path(self, change: dict[str, Any]) -> None:
        """One bad bar among good ones: no rows from the fast path."""
        bars = as_loaded([random_bar(random.Random(1), i) for i in range(3)])
        bars[1].update(change)

        assert fast_rows(bars, "X", HEAD, KEY) is None

    def test_a_missing_key_is_left_to_the_bar_by_bar_path(self) -> None:
        """A bar without its close: no rows from the fast path."""
        bars = as_loaded([random_bar(random.Random(2), i) for i in range(3)])
        del bars[2]["c"]

        assert fast_rows(bars, "X", HEAD, KEY) is None

    @pytest.mark.parametrize("change", BAD_BARS)
    def test_the_line_still_costs_its_ticker_with_a_reason(self, change: dict[str, Any]) -> None:
        """Through `ticker_line`, the same bad bar fails the ticker as malformed_bar."""
        bars = as_loaded([random_bar(random.Random(3), i) for i in range(3)])
        bars[0].update(change)
        line = orjson.dumps({"ticker": "X", "bars": bars})

        ticker, rows, error = ticker_line(line, HEAD, KEY)

        assert ("X", [], "malformed_bar") == (ticker, rows, error and error.kind)
