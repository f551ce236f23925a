{#- on-run-start, before any model reads raw: ANALYZE the raw tables autovacuum would analyze at
    its next round (migration 0016's control.analyze_stale_raw(), security definer: the
    transform role does not own raw). A backfill's build began on the statistics autovacuum
    took mid-load, and planned int's full build on a bar count of less than half the real one.
    Nothing on a database without the function (not migrated yet, or the dbt tests' own). -#}
{% macro analyze_stale_raw() %}
    do $$ begin
        if to_regprocedure('control.analyze_stale_raw()') is not null
           and has_function_privilege('control.analyze_stale_raw()', 'execute') then
            perform control.analyze_stale_raw();
        end if;
    end $$;
{% endmacro %}
