"""Bars into raw.stock_bars_daily at close to the speed of a plain COPY, keeping the upsert's
guarantees: one COPY streams the object's rows into a temporary table, and each ticker's date
span is taken from it; when no stored bar falls in any span (a backfill, a new day) the rows are
inserted as they are, and otherwise (a replay, an overlap) they are upserted, rewriting only
rows whose values changed. Watermarks move in the same transaction."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

import asyncpg

from shared.messages.raw_objects import TickerError

from .core import BAR_COLUMNS, first_failed_day

# Not `bar_ts_ms`: grouped daily stamps the same bar 16:00 instead of 00:00.
BAR_VALUES = ("open", "high", "low", "close", "volume", "vwap", "transactions", "otc")
_COLS = ", ".join(BAR_COLUMNS)
_KEY = "ticker, trading_date, adjusted"
_SETS = ", ".join(f"{c} = excluded.{c}" for c in (*BAR_VALUES, *BAR_COLUMNS[-4:]))
_OLD = ", ".join(f"raw.stock_bars_daily.{c}" for c in BAR_VALUES)
_NEW = ", ".join(f"excluded.{c}" for c in BAR_VALUES)

CREATE_INCOMING = (
    "create temporary table incoming (like raw.stock_bars_daily including defaults) on commit drop"
)
# Each ticker's first and last incoming day, and how many rows came (the object's count).
SPANS = """
create temporary table spans on commit drop as
select ticker, adjusted, min(trading_date) as lo, max(trading_date) as hi, count(*) as n
from pg_temp.incoming group by 1, 2
"""
# Does any stored bar fall within a ticker's span? One index range probe per ticker.
PROBE = """
select coalesce(sum(n), 0), coalesce(bool_or(hit.found), false) from pg_temp.spans s
left join lateral (
    select true as found from raw.stock_bars_daily r
    where r.ticker = s.ticker and r.trading_date between s.lo and s.hi and r.adjusted = s.adjusted
    limit 1
) hit on true
"""
INSERT_NEW = f"insert into raw.stock_bars_daily ({_COLS}) select {_COLS} from pg_temp.incoming"


def upsert(distinct: bool) -> str:
    """Only rows whose values changed are rewritten: a replayed object changes no row at all.
    `distinct` for an object naming a bar twice, which must not touch one row twice."""
    pick = f"distinct on ({_KEY}) " if distinct else ""
    return (
        f"insert into raw.stock_bars_daily ({_COLS}) select {pick}{_COLS} from pg_temp.incoming"
        f" on conflict ({_KEY}) do update set {_SETS}, loaded_at = now()"
        f" where ({_OLD}) is distinct from ({_NEW})"
    )


# Incremental runs start each ticker after its last loaded bar; a watermark never moves back.
_MOVE_WATERMARKS = """
on conflict (ticker, adjusted) do update
set last_date = greatest(control.ticker_watermarks.last_date, excluded.last_date),
    updated_at = now()
where excluded.last_date > control.ticker_watermarks.last_date
"""
WATERMARKS_FROM_SPANS = (
    "insert into control.ticker_watermarks (ticker, adjusted, last_date)"
    " select ticker, adjusted, hi from pg_temp.spans" + _MOVE_WATERMARKS
)
# $1 caps them below a grouped day that failed, so that day is fetched again next time.
WATERMARKS_BELOW = (
    "insert into control.ticker_watermarks (ticker, adjusted, last_date)"
    " select ticker, adjusted, max(trading_date) from pg_temp.incoming"
    " where trading_date < $1 group by 1, 2" + _MOVE_WATERMARKS
)


async def _rows(chunks: AsyncIterable[list[tuple[Any, ...]]]) -> AsyncIterator[tuple[Any, ...]]:
    """One COPY for the whole object: Postgres parses rows while the next lines are mapped."""
    async for chunk in chunks:
        for row in chunk:
            yield row


async def write_bars(
    conn: asyncpg.pool.PoolConnectionProxy,
    chunks: AsyncIterable[list[tuple[Any, ...]]],
    errors: list[tuple[str, TickerError]],
) -> int:
    """The object's bars, inside the caller's transaction; returns the rows it held. `errors`
    fills while the rows are read; a grouped day among them caps the watermarks."""
    await conn.execute(CREATE_INCOMING)
    await conn.copy_records_to_table("incoming", records=_rows(chunks), columns=list(BAR_COLUMNS))
    await conn.execute(SPANS)
    probe = await conn.fetchrow(PROBE)
    assert probe is not None  # an aggregate always has its row
    count, stored = probe
    if not count:
        return 0
    if not stored:
        try:
            async with conn.transaction():  # a savepoint: a failure undoes this statement only
                await conn.execute(INSERT_NEW)
        except asyncpg.UniqueViolationError:  # another loader was first, or a bar is twice
            stored = True
    if stored:
        try:
            async with conn.transaction():
                await conn.execute(upsert(distinct=False))
        except asyncpg.CardinalityViolationError:  # the object names a bar twice
            await conn.execute(upsert(distinct=True))
    cap = first_failed_day(errors)
    if cap is None:
        await conn.execute(WATERMARKS_FROM_SPANS)
    else:
        await conn.execute(WATERMARKS_BELOW, cap)
    return int(count)
