"""Which splits and dividends a run reads: each kind from its watermark less a safety window.

Events are announced late and corrected (POLYGON_API.md §13), so every run re-reads the last
`lookback` of each kind; a re-read event upserts by its id and changes nothing unless its values
did. A ticker never read before starts where its bars start, so its adjusted history is complete.
"""

from __future__ import annotations

from datetime import date, timedelta

from shared.db.control import WHOLE_MARKET
from shared.messages import CorporateActions, FetchBatch

from .core import RunSpec

KINDS: tuple[CorporateActions, ...] = ("splits", "dividends")

Watermarks = dict[str, dict[str, date]]  # kind -> ticker (or WHOLE_MARKET) -> fetched through


def first_event_date(
    kind: CorporateActions, starts: dict[str, date], watermarks: Watermarks, lookback: timedelta
) -> date | None:
    """The earliest event date the run must read for `kind`, over the run's tickers and their
    bar starts; None without tickers."""
    marks = watermarks.get(kind, {})
    market = marks.get(WHOLE_MARKET)
    firsts = []
    for ticker, bars_from in starts.items():
        seen = max((d for d in (marks.get(ticker), market) if d is not None), default=None)
        firsts.append(bars_from if seen is None else min(bars_from, seen - lookback))
    return min(firsts, default=None)


def action_commands(
    spec: RunSpec,
    starts: dict[str, date],
    watermarks: Watermarks,
    lookback: timedelta,
    whole_market: bool,
    first_seq: int,
    total: int,
) -> list[FetchBatch]:
    """One batch per kind, named after it, for the run's tickers ([] is the whole market)."""
    out = []
    for seq, kind in enumerate(KINDS, start=first_seq):
        first = first_event_date(kind, starts, watermarks, lookback)
        if first is None:
            continue
        out.append(
            FetchBatch(
                run_id=spec.run_id,
                message_id=f"{spec.run_id}/{kind}/fetch",
                batch_id=kind,
                seq=seq,
                total_batches=total,
                tickers=[] if whole_market else sorted(starts),
                actions=kind,
                from_=min(first, spec.end),
                to=spec.end,
            )
        )
    return out
