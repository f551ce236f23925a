"""The sources' freshness under `stocks-elt status`: whole at 80 columns."""

from __future__ import annotations

import pytest
from rich.console import Console

from services.cli.freshness import Checked, table

pytestmark = pytest.mark.unit
CRITERIA = "warn_after 3 day, error_after 7 day"


def _screen(checked: Checked) -> list[str]:
    console = Console(width=80, record=True, color_system=None)
    console.print(table(checked))
    return console.export_text().splitlines()


def _source(name: str, status: str, message: str = CRITERIA) -> dict[str, object]:
    return {
        "source": name,
        "status": status,
        "max_loaded_at": "2026-11-17T07:47:12.1+00:00",
        "age_s": 864000.0,
        "message": message,
    }


class TestFreshnessTable:
    def test_fits_80_columns_with_names_and_statuses_whole(self) -> None:
        """No cell cut to a stub: each source, its status, load time and age read whole, and
        the shared criteria once below."""
        checked = Checked(
            "r1", [_source("polygon.stock_bars_daily", "error"), _source("polygon.tickers", "pass")]
        )
        lines = _screen(checked)

        assert [] == [line for line in lines if len(line) > 80 or "…" in line]
        row = next(line for line in lines if line.startswith("polygon.stock_bars_daily"))
        assert ["error", "11-17", "07:47", "10.0", "d"] == row.split()[1:]
        assert 1 == sum(CRITERIA in line for line in lines)

    def test_criteria_that_differ_are_shown_per_source(self) -> None:
        checked = Checked(
            "r1",
            [_source("polygon.stock_bars_daily", "pass"), _source("polygon.tickers", "warn", "x")],
        )
        lines = _screen(checked)

        assert [] == [line for line in lines if len(line) > 80]
        assert "x" == next(ln for ln in lines if ln.startswith("polygon.tickers")).split()[-1]
