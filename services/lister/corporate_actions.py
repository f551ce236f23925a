"""Which splits and dividends a run reads: each kind from where it was read to, less a safety
window, for every ticker whose bars that reading covers; else from the ticker's first bar.

Events are announced late and corrected (POLYGON_API.md §13), so every run re-reads the last
`lookback` of each kind; a re-read event upserts by its id and changes nothing unless its values
did. A ticker whose bars start before what was read (its first read failed, or it was loaded
before events were read) is read from its first bar, so its adjusted history is complete.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

from shared.db.control import ACTION_BATCH_IDS, WHOLE_MARKET
from shared.messages import CorporateActions, FetchBatch

from .core import RunSpec

KINDS: tuple[CorporateActions, ...] = ("splits", "dividends")


class Coverage(NamedTuple):
    """A kind's events were read from `first` through `last`."""

    first: date
    last: date


Watermarks = dict[str, dict[str, Coverage]]  # kind -> ticker (or WHOLE_MARKET) -> coverage


def bars_from(starts: dict[str, date], first_bars: dict[str, date]) -> dict[str, date]:
    """Each run ticker's earliest bar: its first stored one, or where this run starts it."""
    return {t: min(s, first_bars.get(t, s)) for t, s in starts.items()}


def first_event_date(
    kind: CorporateActions, need: dict[str, date], watermarks: Watermarks, lookback: timedelta
) -> date | None:
    """The earliest event date the run must read for `kind`, given each ticker's earliest bar
    (`need`); None without tickers."""
    marks = watermarks.get(kind, {})
    market = marks.get(WHOLE_MARKET)
    firsts = []
    for ticker, first_bar in need.items():
        covered = [c.last for c in (marks.get(ticker), market) if c and c.first <= first_bar]
        firsts.append(max(covered) - lookback if covered else first_bar)
    return min(firsts, default=None)


def action_commands(
    spec: RunSpec,
    need: dict[str, date],
    watermarks: Watermarks,
    lookback: timedelta,
    whole_market: bool,
    first_seq: int,
    total: int,
) -> list[FetchBatch]:
    """One batch per kind, named after it, for the run's tickers ([] is the whole market)."""
    out = []
    for seq, kind in enumerate(KINDS, start=first_seq):
        first = first_event_date(kind, need, watermarks, lookback)
        if first is None:
            continue
        out.append(
            FetchBatch(
                run_id=spec.run_id,
                message_id=f"{spec.run_id}/{kind}/fetch",
                batch_id=ACTION_BATCH_IDS[kind],
                seq=seq,
                total_batches=total,
                tickers=[] if whole_market else sorted(need),
                actions=kind,
                from_=min(first, spec.end),
                to=spec.end,
            )
        )
    return out
