"""A line plot drawn with braille characters: each character cell holds 2 x 4 dots, so a
terminal of 80 columns shows 160 points across. Pure: it returns lines of text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# The bit of each dot of a braille cell, by (column, row) within the cell (Unicode's order).
_DOT_BITS = {(0, 0): 0x01, (0, 1): 0x02, (0, 2): 0x04, (1, 0): 0x08,
             (1, 1): 0x10, (1, 2): 0x20, (0, 3): 0x40, (1, 3): 0x80}  # fmt: skip
_BLANK = 0x2800


@dataclass(frozen=True)
class Series:
    values: Sequence[float | None]  # one per x step; None leaves a gap
    ansi: int | None = None  # SGR colour of its dots


class Canvas:
    """`width` x `height` character cells; x runs over the series' indexes, y over [low, high]."""

    def __init__(self, width: int, height: int, low: float, high: float, points: int) -> None:
        self.width, self.height = width, height
        self._low, self._span = low, (high - low) or 1.0
        self._points = max(points - 1, 1)
        self._bits = [[0] * width for _ in range(height)]
        self._colour: list[list[int | None]] = [[None] * width for _ in range(height)]

    def _dot(self, x: float, y: float) -> tuple[int, int]:
        col = min(round(x / self._points * (self.width * 2 - 1)), self.width * 2 - 1)
        row = self.height * 4 - 1 - round((y - self._low) / self._span * (self.height * 4 - 1))
        return col, min(max(row, 0), self.height * 4 - 1)

    def _set(self, col: int, row: int, ansi: int | None) -> None:
        cy, cx = row // 4, col // 2
        self._bits[cy][cx] |= _DOT_BITS[(col % 2, row % 4)]
        self._colour[cy][cx] = ansi

    def draw(self, series: Series) -> None:
        """Joins consecutive values with straight runs of dots; a later series colours the
        cells it shares with an earlier one."""
        previous: tuple[int, int] | None = None
        for i, value in enumerate(series.values):
            if value is None:
                previous = None
                continue
            here = self._dot(i, value)
            start = previous or here
            steps = max(abs(here[0] - start[0]), abs(here[1] - start[1]), 1)
            for s in range(steps + 1):
                col = start[0] + round((here[0] - start[0]) * s / steps)
                row = start[1] + round((here[1] - start[1]) * s / steps)
                self._set(col, row, series.ansi)
            previous = here

    def rows(self, colour: bool) -> list[str]:
        return [
            "".join(
                _cell(bits, ansi if colour else None)
                for bits, ansi in zip(self._bits[y], self._colour[y], strict=True)
            )
            for y in range(self.height)
        ]


def _cell(bits: int, ansi: int | None) -> str:
    char = chr(_BLANK + bits) if bits else " "
    return f"\x1b[{ansi}m{char}\x1b[0m" if bits and ansi is not None else char


def plot(
    series: Sequence[Series], width: int, height: int, colour: bool
) -> tuple[list[str], float, float]:
    """The series drawn on one canvas scaled to their values, the last drawn on top; with the
    y range, for the caller's axis labels."""
    values = [v for s in series for v in s.values if v is not None]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    points = max((len(s.values) for s in series), default=1)
    canvas = Canvas(width, height, low, high, points)
    for s in series:
        canvas.draw(s)
    return canvas.rows(colour), low, high
