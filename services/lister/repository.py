"""The lister's reads and writes of the control schema."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

import asyncpg

from shared.clients.polygon import TickerRef
from shared.db.control import TICKERS_BATCH_ID, RunStatus, batch_count
from shared.db.outbox import OutboxMessage, write_outbox
from shared.fetch_plan import FetchPlan
from shared.messages import FetchBatch

from .core import RunSpec
from .corporate_actions import Coverage, Watermarks

_STORED_REFS = """
select ticker, coalesce(name, '') as name, coalesce(market, 'stocks') as market,
       coalesce(locale, 'us') as locale, primary_exchange, type, active, currency_name, cik,
       composite_figi, share_class_figi, last_updated_utc, delisted_utc
from raw.tickers where ticker = any($1::text[])
"""


class RunRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def ensure_run(self, spec: RunSpec) -> RunStatus:
        """Register the run as listing unless it exists; its current status either way."""
        status = await self._pool.fetchval(
            """
            insert into control.runs (run_id, request) values ($1, $2::jsonb)
            on conflict (run_id) do update set updated_at = control.runs.updated_at
            returning status
            """,
            spec.run_id,
            json.dumps(spec.as_json()),
        )
        return RunStatus(status)

    async def watermarks(self) -> dict[str, date]:
        """Each ticker's last loaded as-traded trading date."""
        rows = await self._pool.fetch(
            "select ticker, last_date from control.ticker_watermarks where not adjusted"
        )
        return {r["ticker"]: r["last_date"] for r in rows}

    async def action_watermarks(self) -> Watermarks:
        """What each kind of corporate action was read over, per ticker and for the market."""
        rows = await self._pool.fetch(
            "select kind, ticker, fetched_from, fetched_through, updated_at"
            " from control.corporate_action_watermarks"
        )
        out: Watermarks = {}
        for r in rows:
            out.setdefault(r["kind"], {})[r["ticker"]] = Coverage(
                r["fetched_from"], r["fetched_through"], r["updated_at"]
            )
        return out

    async def first_bars(self, tickers: list[str]) -> dict[str, date]:
        """Each ticker's first stored as-traded bar (one index probe a ticker)."""
        rows = await self._pool.fetch(
            """
            select t.ticker, (select b.trading_date from raw.stock_bars_daily b
                              where b.ticker = t.ticker and not b.adjusted
                              order by b.trading_date limit 1) as first_date
            from unnest($1::text[]) as t (ticker)
            """,
            tickers,
        )
        return {r["ticker"]: r["first_date"] for r in rows if r["first_date"] is not None}

    async def register_batches(
        self,
        run_id: str,
        commands: list[FetchBatch],
        tickers_total: int,
        api_requests: int,
        api_statuses: Mapping[str, int],
        tickers_batch: tuple[str, str],
        plan: FetchPlan,
    ) -> None:
        """Record every batch with its command, and the total; the run is then running."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.executemany(
                "insert into control.batches (run_id, batch_id, tickers, command, listed)"
                " values ($1, $2, $3, $4::jsonb, true) on conflict (run_id, batch_id) do update"
                " set listed = true, tickers = excluded.tickers,"
                " command = coalesce(control.batches.command, excluded.command)",
                [
                    (run_id, c.batch_id, c.tickers, c.model_dump_json(by_alias=True))
                    for c in commands
                ],
            )
            await conn.execute(
                "insert into control.batches (run_id, batch_id, tickers, object_key, fetched_at,"
                " listed) values ($1, $2, '{}', $3, now(), true)"
                " on conflict (run_id, batch_id) do update set listed = true",
                run_id,
                *tickers_batch,
            )
            await conn.execute(
                f"""
                update control.runs set status = '{RunStatus.RUNNING}', total_batches = $2,
                    tickers_total = $3, api_requests = $4, api_statuses = $7::jsonb, plan = $5,
                    plan_reason = $6, listed_at = now(), updated_at = now()
                where run_id = $1 and status = '{RunStatus.LISTING}'
                """,
                run_id,
                batch_count(len(commands)),
                tickers_total,
                api_requests,
                plan.kind,
                plan.reason,
                json.dumps(dict(api_statuses)),
            )

    async def fail(
        self,
        run_id: str,
        reason: str,
        events: list[OutboxMessage],
        api_requests: int,
        api_statuses: Mapping[str, int],
    ) -> None:
        """Fail a run still listing, with its listing's requests, and put the events that
        announce it in the outbox, in one transaction; a run no longer listing is left alone."""
        async with self._pool.acquire() as conn, conn.transaction():
            failed = await conn.fetchval(
                f"update control.runs set status = '{RunStatus.FAILED}', reason = $2,"
                " api_requests = $3, api_statuses = $4::jsonb, finished_at = now(),"
                f" updated_at = now() where run_id = $1 and status = '{RunStatus.LISTING}'"
                " returning true",
                run_id,
                reason,
                api_requests,
                json.dumps(dict(api_statuses)),
            )
            if failed:
                await write_outbox(conn, events)

    async def stored_refs(self, tickers: list[str]) -> dict[str, TickerRef]:
        """The reference rows an earlier listing stored (raw.tickers), of these tickers."""
        rows = await self._pool.fetch(_STORED_REFS, tickers)
        return {r["ticker"]: TickerRef.model_validate(dict(r)) for r in rows}

    async def record_ticker_errors(self, run_id: str, errors: list[tuple[str, str, str]]) -> None:
        """(ticker, kind, reason) of tickers the run will not fetch, e.g. not_found; a ticker
        already recorded for the run keeps its first error."""
        if not errors:
            return
        await self._pool.execute(
            "insert into control.ticker_errors (run_id, batch_id, ticker, kind, reason)"
            " select $1, $2, unnest($3::text[]), unnest($4::text[]), unnest($5::text[])"
            " on conflict (run_id, ticker) do nothing",
            run_id,
            TICKERS_BATCH_ID,
            *(list(column) for column in zip(*errors, strict=True)),
        )

    async def reject(
        self, run_id: str, request: dict[str, Any], reason: str, events: list[OutboxMessage]
    ) -> None:
        """A request no run can come of, as a finished run `rejected` with why, and the events
        that announce it in the outbox (one transaction). A run of that id already there is
        left alone."""
        # Postgres' jsonb refuses \u0000, which a hand-made request may hold.
        body = json.dumps(request).replace("\\u0000", "")
        async with self._pool.acquire() as conn, conn.transaction():
            inserted = await conn.fetchval(
                "insert into control.runs (run_id, request, status, reason, finished_at)"
                " values ($1, $2::jsonb, $3, $4, now()) on conflict (run_id) do nothing"
                " returning true",
                run_id,
                body,
                RunStatus.REJECTED,
                reason,
            )
            if inserted:
                await write_outbox(conn, events)

    async def unloaded_commands(self, run_id: str) -> list[FetchBatch]:
        rows = await self._pool.fetch(
            "select command from control.batches where run_id = $1 and loaded_at is null"
            " and command is not null order by batch_id",
            run_id,
        )
        return [FetchBatch.model_validate_json(r["command"]) for r in rows]
