"""The benchmarks' loader figures: each loader's own pace, and what the loaders load together
(their busy wall time, overlaps counted once)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.support import covered_seconds, loader_rows_per_s, loaders_together_rows_per_s

pytestmark = pytest.mark.unit


def _loaded(end: str, seconds: float, rows: int, kind: str = "daily_bars") -> str:
    entry = {"event": "object_loaded", "run_id": "r1", "kind": kind, "rows": rows}
    return json.dumps(entry | {"duration_s": seconds, "timestamp": f"2026-11-29T10:00:{end}Z"})


class TestCoveredSeconds:
    @pytest.mark.parametrize(
        ("spans", "expected"),
        [
            ([], 0.0),
            ([(0.0, 2.0), (5.0, 6.0)], 3.0),  # apart
            ([(0.0, 4.0), (2.0, 6.0)], 6.0),  # overlapping
            ([(0.0, 10.0), (2.0, 3.0), (4.0, 5.0)], 10.0),  # inside another
            ([(5.0, 6.0), (0.0, 2.0), (1.0, 5.5)], 6.0),  # unsorted, chained
        ],
    )
    def test_overlaps_count_once(self, spans: list[tuple[float, float]], expected: float) -> None:
        assert expected == pytest.approx(covered_seconds(spans))


class TestLoadersTogether:
    def test_two_loaders_side_by_side_load_twice_one_loaders_pace(self, tmp_path: Path) -> None:
        """Two loaders, each 100 rows in the same 2 s: 50 rows/s each, 100 rows/s together.
        A tickers object and another run's line count in neither."""
        first, second = tmp_path / "loader-1.log", tmp_path / "loader-2.log"
        first.write_text(
            "\n".join([_loaded("02", 2.0, 100), _loaded("09", 5.0, 999, kind="tickers")]) + "\n"
        )
        other_run = _loaded("02", 2.0, 500).replace('"r1"', '"r2"')
        second.write_text("\n".join([_loaded("02", 2.0, 100), other_run]) + "\n")

        pace, rows = loader_rows_per_s([first, second], "r1")
        together = loaders_together_rows_per_s([first, second], "r1")

        assert 50.0 == pytest.approx(pace)
        assert 200 == rows
        assert 100.0 == pytest.approx(together)
