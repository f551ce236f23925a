{#-
    on-run-start: the functions the models and tests share, in var('udf_schema'). The advisory
    lock serialises concurrent dbt processes replacing them.

    - product(x): the product aggregate (built-in float8mul, so no per-row interpreter call);
      cumulative adjustment factors are running products of split and dividend ratios.
    - ema_sma_seeded(price, n, bar_number, stored_ema): the SMA-seeded EMA as a running window
      aggregate, resumable: a row carrying stored_ema (the value already built for that bar)
      restarts the recursion there, so an incremental build feeds it only the new bars.
      State (the aggregate's value; the EMA is element 3): [bar number, sum of closes while
      seeding, current EMA].
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

    create or replace function {{ schema }}.ema_sma_seeded_step(
        state double precision[],
        price double precision,
        n integer,
        bar_number bigint,
        stored_ema double precision
    )
    returns double precision[]
    language plpgsql immutable
    as $body$
    begin
        if stored_ema is not null then
            return array[bar_number, 0, stored_ema];
        elsif bar_number < n then
            return array[bar_number, state[2] + price, null];
        elsif bar_number = n then
            return array[bar_number, 0, (state[2] + price) / n];
        end if;
        return array[
            bar_number, 0, 2.0 / (n + 1) * price + (1 - 2.0 / (n + 1)) * state[3]
        ];
    end;
    $body$;

    -- no final function: a window aggregate calls it on every row, fed or not (an SQL
    -- function call per row cost more than the EMA); callers take element 3 of the state.
    -- Dropped first: `create or replace` cannot change an aggregate's return type, and a
    -- warehouse built by an earlier version has one that returned the EMA itself.
    drop aggregate if exists {{ schema }}.ema_sma_seeded(
        double precision, integer, bigint, double precision
    );
    drop aggregate if exists {{ schema }}.ema_sma_seeded(double precision, integer);
    drop function if exists {{ schema }}.ema_sma_seeded_final(double precision[]);
    create aggregate {{ schema }}.ema_sma_seeded(
        double precision, integer, bigint, double precision
    ) (
        sfunc = {{ schema }}.ema_sma_seeded_step,
        stype = double precision[],
        initcond = '{0,0,NULL}'
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
