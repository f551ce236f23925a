{#-
    on-run-start: the SMA-seeded EMA as a Postgres aggregate, used as a running window function.
    A recursive CTE re-scans the bars once per bar of the longest series (quadratic: 11 min for
    500 tickers x 4 years); the aggregate keeps a running state per ticker (linear, seconds).
    State: [bars seen, sum of closes while seeding, current EMA]. The advisory lock serialises
    concurrent dbt processes replacing the functions.
-#}
{% macro create_ema_aggregate() %}
    {%- set schema = var('udf_schema') -%}
    select pg_advisory_xact_lock(hashtext('stocks_elt.ema_sma_seeded'));
    create schema if not exists {{ schema }};

    create or replace function {{ schema }}.ema_sma_seeded_step(
        state double precision[], price double precision, n integer
    )
    returns double precision[]
    language plpgsql immutable strict
    as $body$
    declare
        alpha constant double precision := 2.0::double precision / (n + 1);
        seen constant double precision := state[1] + 1;
    begin
        if seen < n then
            return array[seen, state[2] + price, null];
        elsif seen = n then
            return array[seen, null, (state[2] + price) / n];
        end if;
        return array[seen, null, alpha * price + (1 - alpha) * state[3]];
    end;
    $body$;

    create or replace function {{ schema }}.ema_sma_seeded_final(state double precision[])
    returns double precision
    language sql immutable strict
    as $body$ select state[3] $body$;

    create or replace aggregate {{ schema }}.ema_sma_seeded(double precision, integer) (
        sfunc = {{ schema }}.ema_sma_seeded_step,
        stype = double precision[],
        finalfunc = {{ schema }}.ema_sma_seeded_final,
        initcond = '{0,0,NULL}'
    );
{% endmacro %}
