-- dbt's incremental models read the raw rows loaded since their previous build. A loader stamps
-- its rows loaded_at = now(), its transaction's start, and commits later: a build must not miss
-- a row stamped before it began whose transaction was still open then. So each build records
-- when it began, or the start of the oldest transaction open in the database then if earlier
-- (dbt macro record_build_start), and the next build reads the rows loaded since. Only a role
-- that sees every session's xact_start can tell (pg_stat_activity hides it from other roles):
-- hence security definer, and it answers nothing but that one timestamp.
-- Needs schema control (0001).

create or replace function control.oldest_open_transaction()
returns timestamptz
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
    select min(xact_start)
    from pg_stat_activity
    where datname = current_database()
      and backend_type = 'client backend'
      and pid <> pg_backend_pid()
      and xact_start is not null
$$;

revoke all on function control.oldest_open_transaction() from public;

do $$ begin
    if exists (select from pg_roles where rolname = 'elt_transform') then
        grant execute on function control.oldest_open_transaction() to elt_transform;
    end if;
end $$;
