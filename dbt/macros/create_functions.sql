{#-
    on-run-start: the functions the models and tests share, in var('udf_schema'). The advisory
    lock serialises concurrent dbt processes replacing them.

    - product(x): the product aggregate (built-in float8mul, so no per-row interpreter call);
      cumulative adjustment factors are running products of split and dividend ratios.
    - high_watermark(relation, column): max(column) of a relation, or -infinity while the
      relation does not exist (first build); data tests use it to test only new rows.
-#}
{% macro create_functions() %}
    {%- set schema = var('udf_schema') -%}
    select pg_advisory_xact_lock(hashtext('stocks_elt.functions'));
    {#- Bootstrap creates the schema for elt_transform, which may not CREATE in the database;
        Postgres checks that right even for `create schema if not exists`, hence the check. -#}
    do $$ begin
        if not exists (select from pg_namespace where nspname = '{{ schema }}') then
            create schema {{ schema }};
        end if;
    end $$;

    create or replace aggregate {{ schema }}.product(double precision) (
        sfunc = float8mul,
        stype = double precision
    );

    -- the EMA is closed-form window sums now (macro exponential_average): an earlier
    -- version's per-row plpgsql aggregate is dropped
    drop aggregate if exists {{ schema }}.ema_sma_seeded(
        double precision, integer, bigint, double precision
    );
    drop aggregate if exists {{ schema }}.ema_sma_seeded(double precision, integer);
    drop function if exists {{ schema }}.ema_sma_seeded_final(double precision[]);
    drop function if exists {{ schema }}.ema_sma_seeded_step(
        double precision[], double precision, integer, bigint, double precision
    );

    create or replace function {{ schema }}.high_watermark(relation_name text, column_name text)
    returns timestamptz
    language plpgsql stable
    as $body$
    declare
        result timestamptz;
    begin
        if to_regclass(relation_name) is null then
            return '-infinity';
        end if;
        execute format('select max(%I) from %s', column_name, relation_name) into result;
        return coalesce(result, '-infinity');
    end;
    $body$;
{% endmacro %}
