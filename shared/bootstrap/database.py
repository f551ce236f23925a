"""The database: created if missing, its roles, versioned migrations and the grants that give
each role only what it needs.

Roles: `elt_ingest` (lister, fetcher, loader: writes control and raw), `elt_transform`
(transformer and dbt: reads raw, writes control, owns the schemas dbt builds), `elt_reader`
(analysts: reads what dbt builds).
"""

from __future__ import annotations

from importlib import resources

import asyncpg
import structlog

from shared.settings import PostgresAdminSettings, PostgresSettings

log = structlog.get_logger()

DBT_SCHEMAS = ("staging", "marts")
# Serialises concurrent bootstraps (compose init job and a CLI call, say).
_LOCK_KEY = 7_304_112_001


def migrations() -> list[tuple[str, str]]:
    """(version, sql) of every migration file, in order."""
    folder = resources.files("shared.db") / "migrations"
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    return [(f.name.removesuffix(".sql"), f.read_text()) for f in files]


def _grants() -> list[str]:
    dbt = ", ".join(DBT_SCHEMAS)
    return [
        "grant usage on schema control, raw to elt_ingest, elt_transform",
        "grant select, insert, update, delete on all tables in schema control "
        "to elt_ingest, elt_transform",
        "grant select, insert, update on all tables in schema raw to elt_ingest",
        "grant select on all tables in schema raw to elt_transform",
        f"grant usage on schema {dbt} to elt_reader",
        "grant select on all tables in schema control to elt_reader",
        "grant usage on schema control to elt_reader",
        *(
            f"alter default privileges for role elt_transform in schema {s} "
            "grant select on tables to elt_reader"
            for s in DBT_SCHEMAS
        ),
    ]


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


async def bootstrap_database(pg: PostgresSettings, admin: PostgresAdminSettings) -> None:
    """Create database, roles, schemas; apply new migrations; grant. Idempotent."""
    server = await asyncpg.connect(
        host=pg.host,
        port=pg.port,
        user=admin.user,
        password=admin.password.get_secret_value(),
        database="postgres",
    )
    try:
        await server.execute("select pg_advisory_lock($1)", _LOCK_KEY)
        created = await _ensure_database(server, pg.database)
        await _ensure_roles(server, admin)
        db = await asyncpg.connect(
            host=pg.host,
            port=pg.port,
            user=admin.user,
            password=admin.password.get_secret_value(),
            database=pg.database,
        )
        try:
            applied = await _migrate(db)
            for schema in DBT_SCHEMAS:
                await db.execute(
                    f"create schema if not exists {schema} authorization elt_transform"
                )
            await db.execute(f'grant create, connect on database "{pg.database}" to elt_transform')
            for stmt in _grants():
                await db.execute(stmt)
        finally:
            await db.close()
        log.info("database_ready", database=pg.database, created=created, migrations=applied)
    finally:
        await server.close()
