"""The loader's writes: bars (see bar_writes) and tickers by COPY into a temporary table and one
upsert on the natural key, ticker errors, and the batch marked loaded, all in one transaction."""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, Sequence
from typing import Any

import asyncpg

from shared.db.control import WHOLE_MARKET
from shared.messages.raw_objects import ObjectHeader, TickerError

from .bar_writes import write_bars
from .core import TICKER_COLUMNS
from .corporate_actions import DIVIDEND_COLUMNS, Rejected

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


TICKERS_UPSERT = _upsert("raw.tickers", TICKER_COLUMNS, "ticker", _TICKER_VALUES)


SPLITS_UPSERT = """
insert into raw.stock_splits
    (id, ticker, execution_date, split_from, split_to, run_id, object_key)
select unnest($1::text[]), unnest($2::text[]), unnest($3::date[]), unnest($4::float8[]),
       unnest($5::float8[]), $6, $7
on conflict (id) do update set ticker = excluded.ticker, execution_date = excluded.execution_date,
    split_from = excluded.split_from, split_to = excluded.split_to, run_id = excluded.run_id,
    object_key = excluded.object_key, loaded_at = now()
where (raw.stock_splits.ticker, raw.stock_splits.execution_date, raw.stock_splits.split_from,
       raw.stock_splits.split_to)
    is distinct from (excluded.ticker, excluded.execution_date, excluded.split_from,
                      excluded.split_to)
"""
_DIVIDEND_VALUES = DIVIDEND_COLUMNS[1:]  # every column but the id
DIVIDENDS_UPSERT = f"""
insert into raw.stock_dividends (id, {", ".join(_DIVIDEND_VALUES)}, run_id, object_key)
select unnest($1::text[]), unnest($2::text[]), unnest($3::date[]), unnest($4::float8[]),
       unnest($5::text[]), unnest($6::date[]), unnest($7::date[]), unnest($8::date[]),
       unnest($9::int[]), unnest($10::text[]), $11, $12
on conflict (id) do update set
    {", ".join(f"{c} = excluded.{c}" for c in _DIVIDEND_VALUES)},
    run_id = excluded.run_id, object_key = excluded.object_key, loaded_at = now()
where ({", ".join(f"raw.stock_dividends.{c}" for c in _DIVIDEND_VALUES)})
    is distinct from ({", ".join(f"excluded.{c}" for c in _DIVIDEND_VALUES)})
"""
# Coverages only grow, and only where they touch: a read that would leave a gap keeps the old
# coverage, so the next run reads again from its end.
ACTION_WATERMARKS_UPSERT = """
insert into control.corporate_action_watermarks as w (kind, ticker, fetched_from, fetched_through)
select $1, unnest($2::text[]), $3, $4
on conflict (kind, ticker) do update
set fetched_from = least(w.fetched_from, excluded.fetched_from),
    fetched_through = greatest(w.fetched_through, excluded.fetched_through),
    updated_at = now()
where excluded.fetched_from <= w.fetched_through + 1
  and excluded.fetched_through + 1 >= w.fetched_from
  and (excluded.fetched_from < w.fetched_from or excluded.fetched_through > w.fetched_through)
"""


class RawRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def run_exists(self, run_id: str) -> bool:
        return bool(
            await self._pool.fetchval("select 1 from control.runs where run_id = $1", run_id)
        )

    async def named_tickers(self, run_id: str) -> frozenset[str]:
        """The tickers the run's request named (none for a run of the listing) whose empty
        answer means no data: all of them when the request gave its own `from`; in an
        incremental run only those without a stored bar, since a ticker already up to date
        answers an empty range on any day without a new session."""
        row = await self._pool.fetchrow(
            "select request->'tickers' as tickers, request->>'from' is not null as ranged"
            " from control.runs where run_id = $1",
            run_id,
        )
        named = row["tickers"] if row is not None else None
        tickers = json.loads(named) if isinstance(named, str) else named
        if not isinstance(tickers, list) or not tickers:
            return frozenset()
        if row is not None and row["ranged"]:
            return frozenset(tickers)
        never_loaded = await self._pool.fetch(
            "select t from unnest($1::text[]) as t where not exists"
            " (select 1 from raw.stock_bars_daily b where b.ticker = t)",
            [str(t) for t in tickers],
        )
        return frozenset(r["t"] for r in never_loaded)

    async def load_actions(
        self,
        head: ObjectHeader,
        key: str,
        rows: list[tuple[Any, ...]],
        rejected: list[Rejected],
    ) -> None:
        """Splits or dividends, their rejections, the kind's watermark and the batch, in one
        transaction. A failed fetch is a ticker error named after the kind."""
        upsert = SPLITS_UPSERT if head.kind == "splits" else DIVIDENDS_UPSERT
        columns = [list(c) for c in zip(*rows, strict=True)] or [[]] * (
            5 if head.kind == "splits" else 10
        )
        errors = [(f"*{head.kind}", head.error)] if head.error is not None else []
        kind = head.kind.removesuffix("s")  # the ledger's 'split' | 'dividend'
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(upsert, *columns, head.run_id, key)
            await conn.executemany(
                "insert into raw.rejected_corporate_actions"
                " (kind, event_id, ticker, reason, payload, run_id, object_key)"
                " values ($1, $2, $3, $4, $5::jsonb, $6, $7) on conflict do nothing",
                [
                    (kind, r.event_id, r.ticker, r.reason, r.payload, head.run_id, key)
                    for r in rejected
                ],
            )
            if head.error is None and head.from_ is not None and head.to is not None:
                # A set: a ticker named twice must not touch its row twice in one upsert.
                scope = sorted(set(head.tickers)) if head.tickers is not None else [WHOLE_MARKET]
                await conn.execute(ACTION_WATERMARKS_UPSERT, head.kind, scope, head.from_, head.to)
            await self._finish_batch(conn, head.run_id, head.batch_id, key, 0, errors)

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
        async with self._pool.acquire() as conn, conn.transaction():
            if kind == "daily_bars":
                rows = await write_bars(conn, chunks, errors)
            else:
                await conn.execute(
                    "create temporary table incoming (like raw.tickers including defaults)"
                    " on commit drop"
                )
                async for chunk in chunks:
                    await conn.copy_records_to_table(
                        "incoming", records=chunk, columns=list(TICKER_COLUMNS)
                    )
                rows = await conn.fetchval("select count(*) from pg_temp.incoming")
                await conn.execute(TICKERS_UPSERT)
            await self._finish_batch(conn, run_id, batch_id, key, int(rows), errors)
        return int(rows)

    @staticmethod
    async def _finish_batch(
        conn: asyncpg.pool.PoolConnectionProxy,
        run_id: str,
        batch_id: str,
        key: str,
        rows: int,
        errors: list[tuple[str, TickerError]],
    ) -> None:
        """The batch's ticker errors, and the batch marked loaded."""
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
