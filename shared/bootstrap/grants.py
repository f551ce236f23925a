"""Which role may do what to which table: exactly the statements its services run, and nothing
that would let a bug or a stolen password erase history (no DELETE, TRUNCATE or DDL anywhere;
the migrations ledger is the admin's alone).

`elt_ingest` is shared by the lister, the fetcher, the loader and the CLI (`stocks-elt status`,
`refetch-as-traded`), so it holds the union of their needs. `elt_transform` is the transformer
and dbt: it owns the schemas dbt builds (created here, so it needs no CREATE on the database).
`elt_reader` reads the control tables and what dbt builds. Any new table in `control` or `raw`
must be listed here (or in ADMIN_ONLY): bootstrap logs `tables_without_grants` for a table
nobody decided about, and tests/integration/test_least_privilege.py fails.
"""

from __future__ import annotations

R, W, U = "select", "insert", "update"  # read, write (insert), update
Privileges = tuple[str, ...]

# INSERT ... ON CONFLICT DO UPDATE needs SELECT (the conflict target, the WHERE on the old row,
# RETURNING) as well as UPDATE: an upsert is (R, W, U).
GRANTS: dict[str, dict[str, Privileges]] = {
    "elt_ingest": {
        # lister: ensure_run (upsert returning status), registers the plan, fails a run;
        # loader: run_exists; CLI: status
        "control.runs": (R, W, U),
        # lister: registers batches, re-sends unloaded ones; fetcher: mark_fetched;
        # loader: marks loaded (upsert); CLI: status
        "control.batches": (R, W, U),
        # loader: upserts a batch's ticker errors; CLI: status
        "control.ticker_errors": (R, W, U),
        # lister reads, loader raises (upserts)
        "control.ticker_watermarks": (R, W, U),
        "control.corporate_action_watermarks": (R, W, U),
        # lister and fetcher: the shared rate limit (GCRA upsert returning)
        "control.api_rate_limit": (R, W, U),
        # scheduler: claims a slot (insert ... on conflict do nothing returning), publishes
        # its request and marks it (select ... for update skip locked); CLI: schedule
        "control.schedule_slots": (R, W, U),
        # scheduler: records when the schedule began (insert ... on conflict do nothing)
        "control.schedule_origin": (R, W),
        # CLI: status shows a run's dbt tests
        "control.run_test_results": (R,),
        # CLI: ack records, revokes and lists accepted exceptions (upsert) and counts the
        # failures of the last build they cover
        "control.acknowledged_failures": (R, W, U),
        "control.test_failures": (R,),
        # lister: a failed listing's event, in the transaction that fails the run (the
        # transformer relays it)
        "control.outbox": (W,),
        # loader: upserts (COPY into a temporary table LIKE it, then insert ... on conflict);
        # lister: first bars; CLI: refetch-as-traded
        "raw.stock_bars_daily": (R, W, U),
        "raw.tickers": (R, W, U),
        "raw.stock_splits": (R, W, U),
        "raw.stock_dividends": (R, W, U),
        # loader: insert ... on conflict do nothing
        "raw.rejected_corporate_actions": (R, W),
        # loader: a split upserted under another ticker inserts its move (trigger, 0017)
        "raw.split_ticker_moves": (W,),
    },
    "elt_transform": {
        # claim, heartbeats, take-over, stall sweep, finish
        "control.runs": (R, U),
        "control.batches": (R,),
        "control.completed_batches": (R, W),
        "control.ticker_errors": (R,),
        "control.run_test_results": (R, W, U),
        # each build's failures (upsert: a resumed run builds again), and what is accepted
        "control.test_failures": (R, W, U),
        "control.acknowledged_failures": (R,),
        # the transactional outbox and its relay
        "control.outbox": (R, W, U),
        # dbt's sources
        "raw.stock_bars_daily": (R,),
        "raw.tickers": (R,),
        "raw.stock_splits": (R,),
        "raw.stock_dividends": (R,),
        "raw.rejected_corporate_actions": (R,),
        "raw.split_ticker_moves": (R,),
    },
}
# Written only by bootstrap as the admin; elt_reader may still read it with the other control
# tables.
ADMIN_ONLY = frozenset({"control.schema_migrations"})
APP_ROLES = ("elt_ingest", "elt_transform", "elt_reader")

# Schemas dbt writes, owned by elt_transform. `dbt_test__audit` is where dbt stores a
# test's failing rows (`store_failures`), by dbt's default name.
DBT_SCHEMAS = ("staging", "intermediate", "marts", "dbt_test__audit")
# What elt_reader may read of dbt's output (every table dbt creates there, now and later).
READER_SCHEMAS = ("staging", "marts")


def table_grants() -> list[str]:
    """One GRANT per role and table."""
    return [
        f"grant {', '.join(privs)} on table {table} to {role}"
        for role, tables in GRANTS.items()
        for table, privs in tables.items()
    ]


def inserted_tables(role: str) -> list[str]:
    """Tables the role inserts into: their serial/identity sequences need USAGE too."""
    return [t for t, privs in GRANTS[role].items() if W in privs]


def undecided(tables: set[str]) -> list[str]:
    """Tables of control/raw that no grant names and that are not the admin's only."""
    named = {t for tables_ in GRANTS.values() for t in tables_} | ADMIN_ONLY
    return sorted(tables - named)


__all__ = [
    "ADMIN_ONLY",
    "APP_ROLES",
    "DBT_SCHEMAS",
    "GRANTS",
    "READER_SCHEMAS",
    "inserted_tables",
    "table_grants",
    "undecided",
]
