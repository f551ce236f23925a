"""The loader's writes: bars and tickers by COPY into a temporary table and one upsert on the
natural key, ticker errors, and the batch marked loaded, all in one transaction."""

from __future__ import annotations

from collections.abc import AsyncIterable, Sequence
from datetime import date
from typing import Any

import asyncpg

from shared.messages.raw_objects import TickerError

from .core import BAR_COLUMNS, TICKER_COLUMNS, first_failed_day

# The bar's values. Not `bar_ts_ms`: grouped daily stamps the same bar 16:00 instead of 00:00.
_BAR_VALUES = ("open", "high", "low", "close", "volume", "vwap", "transactions", "otc")
_TICKER_VALUES = TICKER_COLUMNS[1:13]


def _upsert(table: str, columns: Sequence[str], key: str, compared: Sequence[str]) -> str:
    # Only rows whose values changed are rewritten: a replayed object changes no row at all.
    cols = ", ".join(columns)
    sets = ", ".join(
        f"{c} = excluded.{c}"
        for c in (*compared, "bar_ts_ms", "source", "run_id", "object_key")
        if c in columns
    )
    old = ", ".join(f"{table}.{c}" for c in compared)
    new = ", ".join(f"excluded.{c}" for c in compared)
    return (
        # distinct on: an object naming a ticker twice must not touch one row twice.
        f"insert into {table} ({cols}) select distinct on ({key}) {cols} from pg_temp.incoming"
        f" on conflict ({key}) do update set {sets}, loaded_at = now()"
        f" where ({old}) is distinct from ({new})"
    )


BARS_UPSERT = _upsert(
    "raw.stock_bars_daily", BAR_COLUMNS, "ticker, trading_date, adjusted", _BAR_VALUES
)
TICKERS_UPSERT = _upsert("raw.tickers", TICKER_COLUMNS, "ticker", _TICKER_VALUES)
# Incremental runs start each ticker after its last loaded bar.
# $1 caps it below a grouped day that failed, so that day is fetched again next time.
WATERMARKS_UPSERT = """
insert into control.ticker_watermarks (ticker, adjusted, last_date)
select ticker, adjusted, max(trading_date) from pg_temp.incoming
where trading_date < $1 group by 1, 2
on conflict (ticker, adjusted) do update
set last_date = greatest(control.ticker_watermarks.last_date, excluded.last_date),
    updated_at = now()
where excluded.last_date > control.ticker_watermarks.last_date
"""


class UnknownRun(LookupError):
    """The object names a run that was never registered."""


class RawRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def run_exists(self, run_id: str) -> bool:
        return bool(
            await self._pool.fetchval("select 1 from control.runs where run_id = $1", run_id)
        )

    async def load(
        self,
        kind: str,
        run_id: str,
        batch_id: str,
        key: str,
        chunks: AsyncIterable[list[tuple[Any, ...]]],
        errors: list[tuple[str, TickerError]],
    ) -> int:
        """Load one object; returns the rows the object held."""
        table, columns, upsert = (
            ("raw.stock_bars_daily", BAR_COLUMNS, BARS_UPSERT)
            if kind == "daily_bars"
            else ("raw.tickers", TICKER_COLUMNS, TICKERS_UPSERT)
        )
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                f"create temporary table incoming (like {table} including defaults) on commit drop"
            )
            async for chunk in chunks:
                await conn.copy_records_to_table("incoming", records=chunk, columns=list(columns))
            rows = await conn.fetchval("select count(*) from pg_temp.incoming")
            await conn.execute(upsert)
            if kind == "daily_bars":
                await conn.execute(WATERMARKS_UPSERT, first_failed_day(errors) or date.max)
            await conn.executemany(
                "insert into control.ticker_errors (run_id, batch_id, ticker, kind, reason)"
                " values ($1, $2, $3, $4, $5) on conflict (run_id, ticker)"
                " do update set kind = excluded.kind, reason = excluded.reason",
                [(run_id, batch_id, t, e.kind, e.reason) for t, e in errors],
            )
            await conn.execute(
                """
                insert into control.batches
                    (run_id, batch_id, tickers, object_key, loaded_at, bars_loaded, tickers_failed)
                values ($1, $2, '{}', $3, now(), $4, $5)
                on conflict (run_id, batch_id) do update set object_key = excluded.object_key,
                    loaded_at = coalesce(control.batches.loaded_at, now()),
                    bars_loaded = excluded.bars_loaded, tickers_failed = excluded.tickers_failed
                """,
                run_id,
                batch_id,
                key,
                rows,
                len(errors),
            )
        return int(rows)
