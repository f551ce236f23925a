"""Raw rows written the way the loader writes them: upserts whose loaded_at moves on a change."""

from __future__ import annotations

import json
from dataclasses import asdict

import psycopg2.extras  # type: ignore[import-untyped]

from tests.integration.dbt.project import DbtProject, apply_migrations
from tests.integration.dbt.raw_data import (
    LOADER_REJECTS,
    RAW_TICKERS,
    RUN,
    Dividend,
    LoaderReject,
    RawBar,
    Split,
)


def create_raw(
    project: DbtProject, bars: list[RawBar], splits: list[Split], dividends: list[Dividend]
) -> None:
    """The migrations, the ticker list, the loader's rejects and the given raw rows."""
    with project.connect() as conn:
        apply_migrations(conn)
        with conn.cursor() as cur:
            psycopg2.extras.execute_values(
                cur,
                "insert into raw.tickers (ticker, name, market, locale, primary_exchange,"
                " type, active, run_id, object_key) values %s",
                [(*t, RUN, f"raw/polygon/{RUN}/tickers.json") for t in RAW_TICKERS],
            )
    insert_loader_rejects(project, LOADER_REJECTS)
    insert_bars(project, bars)
    insert_splits(project, splits)
    insert_dividends(project, dividends)


def insert_bars(project: DbtProject, bars: list[RawBar]) -> None:
    """Upsert raw bars; a re-pulled bar gets a fresh loaded_at."""
    columns = RawBar.columns()
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns[3:])
    sql = (
        f"insert into raw.stock_bars_daily ({', '.join(columns)}) values %s "
        f"on conflict (ticker, trading_date, adjusted) do update set {updates}, loaded_at = now()"
    )
    with project.connect() as conn, conn.cursor() as cur:
        psycopg2.extras.execute_values(cur, sql, [b.values() for b in bars])


def insert_splits(project: DbtProject, splits: list[Split]) -> None:
    """Upsert splits by id; loaded_at moves with any change."""
    sql = (
        "insert into raw.stock_splits (id, ticker, execution_date, split_from, split_to,"
        " run_id, object_key) values %s on conflict (id) do update set"
        " ticker = excluded.ticker, execution_date = excluded.execution_date,"
        " split_from = excluded.split_from, split_to = excluded.split_to, loaded_at = now()"
    )
    rows = [(*vars(s).values(), RUN, f"raw/polygon/{RUN}/splits.jsonl") for s in splits]
    with project.connect() as conn, conn.cursor() as cur:
        psycopg2.extras.execute_values(cur, sql, rows)


def insert_dividends(project: DbtProject, dividends: list[Dividend]) -> None:
    """Upsert cash dividends by id; loaded_at moves with any change."""
    sql = (
        "insert into raw.stock_dividends (id, ticker, ex_dividend_date, cash_amount, currency,"
        " frequency, dividend_type, run_id, object_key) values %s on conflict (id) do update set"
        " cash_amount = excluded.cash_amount, ex_dividend_date = excluded.ex_dividend_date,"
        " loaded_at = now()"
    )
    rows = [
        (*vars(d).values(), "USD", 4, "CD", RUN, f"raw/polygon/{RUN}/dividends.jsonl")
        for d in dividends
    ]
    with project.connect() as conn, conn.cursor() as cur:
        psycopg2.extras.execute_values(cur, sql, rows)


def insert_loader_rejects(project: DbtProject, rejects: list[LoaderReject]) -> None:
    """What the loader writes for events it cannot store."""
    sql = (
        "insert into raw.rejected_corporate_actions (kind, event_id, ticker, reason, payload,"
        " run_id, object_key) values %s"
    )
    rows = [
        (r.kind, r.event_id, r.ticker, r.reason, json.dumps(asdict(r)), RUN, f"raw/{r.kind}.jsonl")
        for r in rejects
    ]
    with project.connect() as conn, conn.cursor() as cur:
        psycopg2.extras.execute_values(cur, sql, rows)
