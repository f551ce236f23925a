"""The run report's timeline as inline SVG: batches fetched and loaded over time (cumulative
steps) with the run's stages marked. Pure: times in, markup out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

WIDTH, HEIGHT = 760, 240
_LEFT, _RIGHT, _TOP, _BOTTOM = 50, 20, 20, 40
FETCHED_COLOUR, LOADED_COLOUR = "#1f77b4", "#2ca02c"


def timeline_svg(
    start: datetime,
    fetched: Sequence[datetime],
    loaded: Sequence[datetime],
    total: int,
    marks: dict[str, datetime],
) -> str:
    """Cumulative fetched and loaded batches from `start`, out of `total`; each mark a dashed
    vertical line with its name."""
    times = [*fetched, *loaded, *marks.values()]
    span = max([(t - start).total_seconds() for t in times] + [1.0])
    top = max(total, len(fetched), len(loaded), 1)

    def x(t: datetime) -> float:
        return _LEFT + (t - start).total_seconds() / span * (WIDTH - _LEFT - _RIGHT)

    def y(n: int) -> float:
        return HEIGHT - _BOTTOM - n / top * (HEIGHT - _TOP - _BOTTOM)

    def steps(name: str, at: Sequence[datetime], colour: str) -> str:
        points = [(x(start), y(0))]
        for n, t in enumerate(sorted(at), start=1):
            points += [(x(t), y(n - 1)), (x(t), y(n))]
        text = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        return (
            f'<polyline id="{name}" points="{text}" fill="none" stroke="{colour}" '
            'stroke-width="2"/>'
        )

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="batches over time">',
        f'<line x1="{_LEFT}" y1="{y(0)}" x2="{WIDTH - _RIGHT}" y2="{y(0)}" stroke="#999"/>',
        f'<line x1="{_LEFT}" y1="{y(0)}" x2="{_LEFT}" y2="{_TOP}" stroke="#999"/>',
        f'<text x="{_LEFT - 6}" y="{y(top) + 4:.1f}" text-anchor="end">{top}</text>',
        f'<text x="{_LEFT - 6}" y="{y(0) + 4:.1f}" text-anchor="end">0</text>',
        f'<text x="{WIDTH - _RIGHT}" y="{HEIGHT - 8}" text-anchor="end">{span:.0f} s</text>',
        f'<text x="{_LEFT}" y="{HEIGHT - 8}">0 s</text>',
    ]
    for i, (name, at) in enumerate(marks.items()):
        # staggered, so the names of stages close in time do not overlap
        # a name near the right edge is written leftwards of its line, inside the picture
        anchor, dx = ("end", -3) if x(at) > WIDTH - 120 else ("start", 3)
        parts.append(
            f'<line x1="{x(at):.1f}" y1="{_TOP}" x2="{x(at):.1f}" y2="{y(0)}" stroke="#bbb" '
            f'stroke-dasharray="4 3"/><text x="{x(at) + dx:.1f}" y="{_TOP + 10 + 12 * i}" '
            f'text-anchor="{anchor}" class="mark">{escape(name)}</text>'
        )
    parts += [steps("fetched", fetched, FETCHED_COLOUR), steps("loaded", loaded, LOADED_COLOUR)]
    return "\n".join([*parts, "</svg>"])
