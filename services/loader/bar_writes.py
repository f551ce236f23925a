"""Bars into raw.stock_bars_daily at about the speed of a plain COPY, keeping the upsert's
guarantees. Chunk by chunk: when no stored bar falls within any of the chunk's tickers' date
spans (a backfill, a new day) the chunk is COPYed straight into the table; otherwise (a replay,
an overlap, a ticker seen earlier in the object) it goes to a temporary table that is upserted
at the end, rewriting only rows whose values changed. Watermarks move in the same transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator
from datetime import date, timedelta
from itertools import groupby
from operator import itemgetter
from typing import Any

import asyncpg
import structlog

from shared.messages.raw_objects import TickerError

from .core import BAR_COLUMNS, first_failed_day

log = structlog.get_logger()
Row = tuple[Any, ...]
Conn = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy
Spans = dict[tuple[str, bool], list[date]]  # (ticker, adjusted) -> [first day, last day]

# Not `bar_ts_ms`: grouped daily stamps the same bar 16:00 instead of 00:00.
BAR_VALUES = ("open", "high", "low", "close", "volume", "vwap", "transactions", "otc")
_COLS = ", ".join(BAR_COLUMNS)
_KEY = "ticker, trading_date, adjusted"
_SETS = ", ".join(f"{c} = excluded.{c}" for c in (*BAR_VALUES, *BAR_COLUMNS[-4:]))
_OLD = ", ".join(f"raw.stock_bars_daily.{c}" for c in BAR_VALUES)
_NEW = ", ".join(f"excluded.{c}" for c in BAR_VALUES)
_SPANS = "unnest($1::text[], $2::bool[], $3::date[], $4::date[]) as s (ticker, adjusted, lo, hi)"

CREATE_INCOMING = (
    "create temporary table if not exists incoming"
    " (like raw.stock_bars_daily including defaults) on commit drop"
)
# Does any stored bar fall within a span? One index range probe per ticker.
PROBE = f"""
select exists (select 1 from {_SPANS} cross join lateral (
    select 1 from raw.stock_bars_daily r
    where r.ticker = s.ticker and r.trading_date between s.lo and s.hi and r.adjusted = s.adjusted
    limit 1) hit)
"""
# Incremental runs start each ticker after its last loaded bar, below a grouped day that failed
# ($5, so that day is fetched again next time); a watermark never moves back. Every row of the
# object is stored by now, so the last stored day of each span below the cap is the object's.
WATERMARKS = f"""
insert into control.ticker_watermarks (ticker, adjusted, last_date)
select s.ticker, s.adjusted, last.day from {_SPANS}
cross join lateral (
    select max(r.trading_date) as day from raw.stock_bars_daily r
    where r.ticker = s.ticker and r.adjusted = s.adjusted
      and r.trading_date between s.lo and least(s.hi, $5::date - 1)) last
where last.day is not null
on conflict (ticker, adjusted) do update
set last_date = greatest(control.ticker_watermarks.last_date, excluded.last_date),
    updated_at = now()
where excluded.last_date > control.ticker_watermarks.last_date
"""


def upsert(distinct: bool) -> str:
    """Only rows whose values changed are rewritten: a replayed object changes no row at all.
    `distinct` for an object naming a bar twice, which must not touch one row twice."""
    pick = f"distinct on ({_KEY}) " if distinct else ""
    return (
        f"insert into raw.stock_bars_daily ({_COLS}) select {pick}{_COLS} from pg_temp.incoming"
        f" on conflict ({_KEY}) do update set {_SETS}, loaded_at = now()"
        f" where ({_OLD}) is distinct from ({_NEW})"
    )


def spans_of(chunk: list[Row]) -> Spans:
    """Each (ticker, adjusted)'s first and last day in the chunk (a line's rows are adjacent)."""
    spans: Spans = {}
    for key, rows in groupby(chunk, key=itemgetter(0, 2)):
        days = [r[1] for r in rows]
        lo, hi = min(days), max(days)
        span = spans.get(key)
        spans[key] = [lo, hi] if span is None else [min(span[0], lo), max(span[1], hi)]
    return spans


def _arrays(spans: Spans) -> tuple[list[str], list[bool], list[date], list[date]]:
    return (
        [t for t, _ in spans],
        [a for _, a in spans],
        [s[0] for s in spans.values()],
        [s[1] for s in spans.values()],
    )


async def _ahead(chunks: AsyncIterable[list[Row]]) -> AsyncIterator[list[Row]]:
    """The next chunk is read and mapped while this one is written: Python and Postgres overlap."""
    source = aiter(chunks)
    pending = asyncio.ensure_future(anext(source, None))
    try:
        while (chunk := await pending) is not None:
            pending = asyncio.ensure_future(anext(source, None))
            yield chunk
    finally:
        pending.cancel()


async def _straight(conn: Conn, chunk: list[Row], spans: Spans, seen: Spans) -> bool:
    """COPY the chunk into the table if none of its bars can be there already."""
    if any(key in seen for key in spans) or await conn.fetchval(PROBE, *_arrays(spans)):
        return False
    try:
        async with conn.transaction():  # a savepoint: a failure undoes this COPY only
            await conn.copy_records_to_table(
                "stock_bars_daily", schema_name="raw", records=chunk, columns=list(BAR_COLUMNS)
            )
    except asyncpg.UniqueViolationError:  # another loader was first, or a bar is named twice
        return False
    return True


async def write_bars(
    conn: Conn, chunks: AsyncIterable[list[Row]], errors: list[tuple[str, TickerError]]
) -> int:
    """The object's bars, inside the caller's transaction; returns the rows it held. `errors`
    fills while the rows are read; a grouped day among them caps the watermarks."""
    seen: Spans = {}
    count, staged, straight = 0, False, 0
    async for chunk in _ahead(chunks):
        spans = spans_of(chunk)
        if await _straight(conn, chunk, spans, seen):
            straight += len(chunk)
        else:
            if not staged:
                await conn.execute(CREATE_INCOMING)
                staged = True
            await conn.copy_records_to_table("incoming", records=chunk, columns=list(BAR_COLUMNS))
        for key, (lo, hi) in spans.items():
            old = seen.get(key)
            seen[key] = [lo, hi] if old is None else [min(old[0], lo), max(old[1], hi)]
        count += len(chunk)
    if staged:
        try:
            async with conn.transaction():
                await conn.execute(upsert(distinct=False))
        except asyncpg.CardinalityViolationError:  # the object names a bar twice
            await conn.execute(upsert(distinct=True))
    log.info("bars_written", rows=count, copied_straight=straight, staged=count - straight)
    if seen:
        cap = first_failed_day(errors) or date.max - timedelta(days=1)
        await conn.execute(WATERMARKS, *_arrays(seen), cap)
    return count
