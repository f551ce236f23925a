"""The database: created if missing, its roles, versioned migrations and the grants that give
each role only what it needs (`grants.py` says what; this applies it).

Roles: `elt_ingest` (lister, fetcher, loader, CLI: writes control and raw), `elt_transform`
(transformer and dbt: reads raw, writes control, owns the schemas dbt builds), `elt_reader`
(analysts: reads control and what dbt builds).
"""

from __future__ import annotations

from importlib import resources

import asyncpg
import structlog

from shared.clients.db import connect
from shared.settings import PostgresAdminSettings, PostgresSettings

from .grants import APP_ROLES, DBT_SCHEMAS, GRANTS, READER_SCHEMAS, inserted_tables, table_grants
from .grants import undecided as undecided_tables

log = structlog.get_logger()

# Serialises concurrent bootstraps (compose init job and a CLI call, say).
_LOCK_KEY = 7_304_112_001


def migrations() -> list[tuple[str, str]]:
    """(version, sql) of every migration file, in order."""
    folder = resources.files("shared.db") / "migrations"
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    return [(f.name.removesuffix(".sql"), f.read_text()) for f in files]


async def _ensure_roles(conn: asyncpg.Connection, admin: PostgresAdminSettings) -> None:
    roles = {
        "elt_ingest": admin.ingest_password,
        "elt_transform": admin.transform_password,
        "elt_reader": admin.reader_password,
    }
    for role, password in roles.items():
        if not await conn.fetchval("select 1 from pg_roles where rolname = $1", role):
            await conn.execute(
                await conn.fetchval("select format('create role %I login', $1::text)", role)
            )
        # Utility statements take no parameters: let the server quote the literal.
        stmt = await conn.fetchval(
            "select format('alter role %I password %L', $1::text, $2::text)",
            role,
            password.get_secret_value(),
        )
        await conn.execute(stmt)


async def _ensure_database(conn: asyncpg.Connection, name: str) -> bool:
    if await conn.fetchval("select 1 from pg_database where datname = $1", name):
        return False
    await conn.execute(await conn.fetchval("select format('create database %I', $1::text)", name))
    return True


async def _migrate(conn: asyncpg.Connection) -> list[str]:
    await conn.execute(
        "create schema if not exists control;"
        "create table if not exists control.schema_migrations ("
        " version text primary key, applied_at timestamptz not null default now())"
    )
    done = {r["version"] for r in await conn.fetch("select version from control.schema_migrations")}
    applied = []
    for version, sql in migrations():
        if version in done:
            continue
        async with conn.transaction():
            await conn.execute(sql)
            await conn.execute(
                "insert into control.schema_migrations (version) values ($1)", version
            )
        applied.append(version)
    return applied


_TABLES = """
select schemaname || '.' || tablename from pg_tables where schemaname in ('control', 'raw')
"""
# Sequences a table owns (serial: 'a', identity: 'i'); inserting draws from them.
_SEQUENCES = """
select s.oid::regclass::text from pg_depend d join pg_class s on s.oid = d.objid
where d.classid = 'pg_class'::regclass and d.refclassid = 'pg_class'::regclass
  and d.refobjid = $1::regclass and d.deptype in ('a', 'i') and s.relkind = 'S'
"""


async def _sequence_grants(db: asyncpg.Connection) -> list[str]:
    return [
        f"grant usage on sequence {seq} to {role}"
        for role in GRANTS
        for table in inserted_tables(role)
        for seq in [r[0] for r in await db.fetch(_SEQUENCES, table)]
    ]


def _schema_statements(database: str) -> list[str]:
    roles = ", ".join(APP_ROLES)
    read = ", ".join(READER_SCHEMAS)
    return [
        # Earlier releases granted more (DELETE on every control table, CREATE on the database
        # to elt_transform): start from nothing, then grant exactly.
        f"revoke all on all tables in schema control, raw from {roles}",
        f"revoke all on all sequences in schema control, raw from {roles}",
        f"revoke all on schema control, raw from {roles}",
        # PUBLIC's default TEMPORARY goes too: only the loader (COPY staging) and dbt use it.
        f'revoke create, temporary on database "{database}" from public, {roles}',
        f'grant connect, temporary on database "{database}" to elt_ingest, elt_transform',
        f'grant connect on database "{database}" to elt_reader',
        # dbt finds its schemas made and owned: it never needs CREATE on the database.
        *(f"create schema if not exists {s} authorization elt_transform" for s in DBT_SCHEMAS),
        *(f"alter schema {s} owner to elt_transform" for s in DBT_SCHEMAS),
        "grant usage on schema control, raw to elt_ingest, elt_transform",
        "grant usage on schema control to elt_reader",
        "grant select on all tables in schema control to elt_reader",
        f"grant usage on schema {read} to elt_reader",
        f"grant select on all tables in schema {read} to elt_reader",
        f"alter default privileges for role elt_transform in schema {read}"
        " grant select on tables to elt_reader",
    ]


async def _grant(db: asyncpg.Connection, database: str) -> None:
    """Revoke and grant in one transaction: running services never see a role without its
    rights."""
    undecided = undecided_tables({r[0] for r in await db.fetch(_TABLES)})
    if undecided:
        # Services would fail on these with "permission denied": say which, and where to fix it.
        log.error("tables_without_grants", tables=undecided, fix="shared/bootstrap/grants.py")
    async with db.transaction():
        for stmt in [
            *_schema_statements(database),
            *table_grants(),
            *await _sequence_grants(db),
        ]:
            await db.execute(stmt)


async def bootstrap_database(pg: PostgresSettings, admin: PostgresAdminSettings) -> None:
    """Create database, roles, schemas; apply new migrations; grant. Idempotent."""
    server = await connect(pg, admin, database="postgres")
    try:
        await server.execute("select pg_advisory_lock($1)", _LOCK_KEY)
        created = await _ensure_database(server, pg.database)
        await _ensure_roles(server, admin)
        db = await connect(pg, admin)
        try:
            applied = await _migrate(db)
            await _grant(db, pg.database)
        finally:
            await db.close()
        log.info("database_ready", database=pg.database, created=created, migrations=applied)
    finally:
        await server.close()
