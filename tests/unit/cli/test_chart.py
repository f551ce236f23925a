"""`stocks-elt chart` drawing, checked by its pixels and characters: synthetic bars in, a PNG
or terminal text out, with no database."""

from __future__ import annotations

import io
import math
import re
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image
from numpy.typing import NDArray
from typer.testing import CliRunner

from services.cli import chart
from services.cli.braille import Series, plot
from services.cli.chart_png import draw_png
from services.cli.chart_series import PRICE_LINES, VOLATILITY_LINE, ChartRow, Line
from services.cli.chart_text import terminal_chart
from services.cli.main import app

pytestmark = pytest.mark.unit

ANSI = re.compile(r"\x1b\[\d+m")


def _rows(n: int = 300) -> list[ChartRow]:
    """A wavy close with its averages offset from it, each None until its window is full."""
    rows = []
    for i in range(n):
        close = 100 + 10 * math.sin(i / 20) + i * 0.1

        def after(k: int, value: float, i: int = i) -> float | None:
            return value if i >= k - 1 else None

        rows.append(
            ChartRow(
                date(2025, 1, 1) + timedelta(days=i),
                close,
                after(20, close + 1),
                after(50, close - 1),
                after(200, close + 2),
                after(12, close + 0.5),
                after(26, close - 0.5),
                after(21, 0.2 + 0.05 * math.sin(i / 7)),
            )
        )
    return rows


def _pixels(png: bytes) -> NDArray[np.float32]:
    rgba: NDArray[np.float32] = image.imread(io.BytesIO(png), format="png")
    return rgba[:, :, :3]


def _colour_mask(pixels: NDArray[np.float32], colour: str) -> NDArray[np.bool_]:
    rgb = np.array([int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)], dtype=np.float32)
    mask: NDArray[np.bool_] = np.abs(pixels - rgb).max(axis=2) < 0.02
    return mask


@pytest.fixture(scope="module")
def pixels() -> NDArray[np.float32]:
    """The chart of 300 bars (drawn once: a draw takes seconds on a busy machine)."""
    return _pixels(draw_png(_rows(), "T"))


class TestPng:
    def test_the_size_asked_for(self) -> None:
        """Width and height in pixels as given."""
        pixels = _pixels(draw_png(_rows(30), "T", width_px=400, height_px=250))

        assert (250, 400) == pixels.shape[:2]

    def test_not_blank(self, pixels: NDArray[np.float32]) -> None:
        """A fair share of the canvas is drawn on, in many colours."""

        drawn = (pixels < 0.95).any(axis=2).mean()
        colours = len(np.unique((pixels * 255).astype(np.uint8).reshape(-1, 3), axis=0))
        assert drawn > 0.02
        assert colours > 50

    @pytest.mark.parametrize("line", [*PRICE_LINES, VOLATILITY_LINE], ids=lambda x: x.field)
    def test_each_lines_colour_is_drawn(self, pixels: NDArray[np.float32], line: Line) -> None:
        """Far more pixels of the line's colour than its legend sample alone holds."""

        assert _colour_mask(pixels, line.colour).sum() > 300

    def test_a_line_without_values_is_not_drawn_nor_listed(self) -> None:
        """150 bars give no SMA 200: its colour appears nowhere, legend included."""
        rows = _rows(150)
        sma_200 = next(line for line in PRICE_LINES if line.field == "sma_200")

        pixels = _pixels(draw_png(rows, "T"))

        assert 0 == _colour_mask(pixels, sma_200.colour).sum()
        assert _colour_mask(pixels, PRICE_LINES[0].colour).sum() > 300

    def test_volatility_is_in_the_panel_below(self, pixels: NDArray[np.float32]) -> None:
        """Every volatility pixel lies below the lowest pixel of the close."""

        close_rows = np.nonzero(_colour_mask(pixels, PRICE_LINES[0].colour))[0]
        vol_rows = np.nonzero(_colour_mask(pixels, VOLATILITY_LINE.colour))[0]
        assert close_rows.max() < vol_rows.min()


class TestBraille:
    def test_a_rising_segment_fills_a_cell_diagonally(self) -> None:
        """From bottom left to top right of one cell: dots 7, 3, 5 and 4 (U+285C)."""
        rows, low, high = plot([Series([0.0, 1.0])], width=1, height=1, colour=False)

        assert (["\u285c"], 0.0, 1.0) == (rows, low, high)

    def test_a_gap_is_not_joined(self) -> None:
        """None between two values: only the two end dots are set, bottom of each cell."""
        rows, _, _ = plot([Series([0.0, None, 0.0, 1.0])], width=2, height=1, colour=False)

        # x 0 -> dot column 0, x 2 -> column 2 (cell 1 left), x 3 -> column 3 (cell 1 right)
        assert "\u2840" == rows[0][0]
        assert rows[0][1] not in (" ", "\u2840")

    def test_colour_codes_wrap_drawn_cells_only(self) -> None:
        """A cell with dots carries its series' colour; an empty cell stays a plain space."""
        rows, _, _ = plot([Series([0.0, 0.0], ansi=31)], width=3, height=2, colour=True)

        assert "\x1b[31m\u28c0\x1b[0m" in rows[1]
        assert "   " == rows[0]


class TestTerminal:
    def test_fits_the_terminal(self) -> None:
        """No line wider than asked, exactly as many lines as asked."""
        text = terminal_chart(_rows(), "AAA", width=90, height=28, colour=False)

        lines = text.split("\n")
        assert 28 == len(lines)
        assert max(len(line) for line in lines) <= 90

    def test_axis_labels_are_the_price_range(self) -> None:
        """The price panel's top and bottom labels are the highest and lowest value drawn."""
        rows = _rows()
        values = [v for line in PRICE_LINES for v in line.values(rows) if v is not None]

        lines = terminal_chart(rows, "AAA", width=90, height=28, colour=False).split("\n")

        assert f"{max(values):.2f}" == lines[2].split("│")[0].strip()
        assert any(f"{min(values):.2f}" == line.split("│")[0].strip() for line in lines[3:])

    def test_each_drawn_line_has_its_colour(self) -> None:
        """Every line's colour code is in the text, and nothing is coloured without colour."""
        rows = _rows()

        coloured = terminal_chart(rows, "AAA", colour=True)
        plain = terminal_chart(rows, "AAA", colour=False)

        for line in [*PRICE_LINES, VOLATILITY_LINE]:
            assert f"\x1b[{line.ansi}m" in coloured, line.field
        assert [] == ANSI.findall(plain)
        assert ANSI.sub("", coloured).replace("━", "─") == plain

    def test_a_ticker_without_volatility_says_so(self) -> None:
        """Fewer than 21 bars: the lower panel reads 'no values'."""
        rows = [replace(r, volatility_20d=None) for r in _rows(15)]

        text = terminal_chart(rows, "AAA", colour=False)

        assert "no values" in text


class TestCommand:
    def test_writes_the_png_of_the_range_asked(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """--from and --to reach the read as dates; -o writes a PNG there."""
        asked: list[tuple[str, date | None, date | None]] = []

        async def fetch(ticker: str, start: date | None, end: date | None) -> list[ChartRow]:
            asked.append((ticker, start, end))
            return _rows(40)

        monkeypatch.setattr(chart, "_fetch", fetch)
        out = tmp_path / "charts" / "a.png"

        result = CliRunner().invoke(
            app, ["chart", "BRK.A", "--from", "2025-01-01", "--to", "2025-03-01", "-o", str(out)]
        )

        assert 0 == result.exit_code, result.output
        assert [("BRK.A", date(2025, 1, 1), date(2025, 3, 1))] == asked
        assert b"\x89PNG" == out.read_bytes()[:4]

    def test_no_bars_is_an_error(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A ticker or range without bars: exit 1 and why, nothing drawn."""

        async def fetch(ticker: str, start: date | None, end: date | None) -> list[ChartRow]:
            return []

        monkeypatch.setattr(chart, "_fetch", fetch)

        result = CliRunner().invoke(app, ["chart", "NOPE"])

        assert 1 == result.exit_code
        assert "no bars of NOPE" in result.output
