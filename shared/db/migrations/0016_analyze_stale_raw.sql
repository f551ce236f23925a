-- A dbt build plans its queries on raw's statistics. After a backfill they are the ones
-- autovacuum took mid-load, if any: a whole-market year's build began on 960 k bars of 2.26 M,
-- and int_stock_bars_adjusted's full build joined the factors by a nested loop instead of a
-- merge (a create of 10.7-13.0 s against 9.96 s; benchmarks/RESULTS.md). So each build first
-- analyzes the raw tables autovacuum would analyze at its next round (dbt macro
-- analyze_stale_raw, on-run-start). The transform role does not own raw, and ANALYZE needs the
-- owner: hence security definer, and it does nothing but that ANALYZE.
--
-- Stale as autovacuum counts it: more rows changed since the last analyze than
-- autovacuum_analyze_threshold + autovacuum_analyze_scale_factor x the rows (the server's
-- settings; per-table overrides are not read). A table that stays locked for 5 s (an
-- anti-wraparound vacuum, which does not yield) is skipped with a notice, not waited for: an
-- ordinary autovacuum gives way after deadlock_timeout. Returns the tables it analyzed.
-- Needs schema control (0001).

create or replace function control.analyze_stale_raw()
returns setof text
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set lock_timeout = '5s'
as $$
declare
    stale text;
begin
    for stale in
        select format('%I.%I', tables.schemaname, tables.relname)
        from pg_stat_all_tables as tables
        inner join pg_class on pg_class.oid = tables.relid
        where tables.schemaname = 'raw'
          and tables.n_mod_since_analyze
              > current_setting('autovacuum_analyze_threshold')::float8
                + current_setting('autovacuum_analyze_scale_factor')::float8
                  * greatest(pg_class.reltuples, 0)
        order by tables.relname
    loop
        begin
            execute 'analyze ' || stale;
            return next stale;
        exception when lock_not_available then
            raise notice 'analyze %: still locked after 5 s, skipped', stale;
        end;
    end loop;
end
$$;

revoke all on function control.analyze_stale_raw() from public;

do $$ begin
    if exists (select from pg_roles where rolname = 'elt_transform') then
        grant execute on function control.analyze_stale_raw() to elt_transform;
    end if;
end $$;
