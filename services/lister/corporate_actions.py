"""Which splits and dividends a run reads: each kind from where it was read to, less a safety
window, for every ticker whose bars that reading covers; else from the ticker's first bar.

Events are announced late and corrected (POLYGON_API.md §13), so every run re-reads the last
`lookback` of each kind; a re-read event upserts by its id and changes nothing unless its values
did. A ticker whose bars start before what was read (its first read failed, or it was loaded
before events were read) is read from its first bar, so its adjusted history is complete.

A kind is not read at all when every run ticker's events through the run's end are already read
and cannot have moved: read when they were older than the lookback (settled), or read through the
end within `fresh_for` (a run repeated the same day; the next run after that re-reads the window,
so a late event is only later, never lost). A run of a few named tickers then costs its ranges.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import NamedTuple

from shared.db.control import ACTION_BATCH_IDS, WHOLE_MARKET
from shared.messages import CorporateActions, FetchBatch

from .core import RunSpec

KINDS: tuple[CorporateActions, ...] = ("splits", "dividends")


class Coverage(NamedTuple):
    """A kind's events were read from `first` through `last`, `last` reached at `read_at`."""

    first: date
    last: date
    read_at: datetime | None = None


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


def needs_no_read(
    c: Coverage, end: date, lookback: timedelta, now: datetime, fresh_for: timedelta
) -> bool:
    """The coverage's events through `end` cannot have moved since they were read."""
    if c.last < end:
        return False
    settled = c.last - lookback >= end
    fresh = c.read_at is not None and now - c.read_at <= fresh_for
    return settled or fresh


def kinds_to_read(
    need: dict[str, date],
    watermarks: Watermarks,
    end: date,
    lookback: timedelta,
    now: datetime,
    fresh_for: timedelta,
) -> list[CorporateActions]:
    """The kinds some run ticker (`need`: its earliest bar) still needs read; [] without
    tickers."""
    out = []
    for kind in KINDS:
        marks = watermarks.get(kind, {})
        market = marks.get(WHOLE_MARKET)
        for ticker, first_bar in need.items():
            cover = [c for c in (marks.get(ticker), market) if c and c.first <= first_bar]
            if not any(needs_no_read(c, end, lookback, now, fresh_for) for c in cover):
                out.append(kind)
                break
    return out


def action_commands(
    spec: RunSpec,
    need: dict[str, date],
    watermarks: Watermarks,
    lookback: timedelta,
    whole_market: bool,
    first_seq: int,
    total: int,
    kinds: Sequence[CorporateActions] = KINDS,
) -> list[FetchBatch]:
    """One batch per kind of `kinds`, named after it, for the run's tickers ([] is the whole
    market)."""
    out = []
    for seq, kind in enumerate(kinds, start=first_seq):
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
