{#- The config every per-bar incremental mart shares: one row per (ticker, trading_date), rows
    replaced by key, indexed for the key and for the newest inputs, and the `tail` an
    incremental build continues from (series_tail.sql): the series_tail strategy (dbt's
    delete+insert, then the tail) keeps it, and the layout (a mart and its tail) makes a mart
    stored without one be rebuilt in full once. -#}
{% macro bar_series_config(tail) %}
    {{ config(
        materialized='incremental',
        incremental_strategy='series_tail',
        unique_key=['ticker', 'trading_date'],
        on_schema_change='fail',
        indexes=[
            {'columns': ['ticker', 'trading_date'], 'unique': True},
            {'columns': ['inputs_loaded_at']},
        ],
        pre_hook=[big_build_settings(), full_build_marker(), create_series_tail_hook()],
        post_hook=[
            analyze_after_full_build(),
            mark_model_built(),
            refill_series_tail_after_full_build(),
            store_layout(),
        ],
        meta={'series_tail': tail, 'layout': 'series-tail'},
    ) }}
{% endmacro %}

{#- A full build (first build or --full-refresh) ends with ANALYZE of what it wrote: a table
    made by `create table as` has no statistics until autovacuum comes, and this build's tests
    and the next build are planned without them. The pre-hook notes the kind of build while
    is_incremental() still tells (after the build the table exists either way). -#}
{#- raw: the hook's text is rendered when the hook runs, not when config() is parsed -#}
{% macro full_build_marker() -%}
    {% raw %}set local stocks_elt.full_build = '{{ "off" if is_incremental() else "on" }}'{% endraw %}
{%- endmacro %}

{% macro analyze_after_full_build() -%}
    do $$ begin
        if current_setting('stocks_elt.full_build', true) = 'on' then
            execute {% raw %}'analyze {{ this }}'{% endraw %};
        end if;
    end $$
{%- endmacro %}

{#- Memory for a build that sorts or indexes the whole history (a full refresh): the default
    4MB work_mem spills every window sort and index build to disk.

    A full build reads its upstream whole, a ticker's rows in date order. int is written in
    that order (correlation 1 after its ANALYZE), so its (ticker, trading_date) index yields
    them with no sort; priced at the default random_page_cost (4, a spinning disk's) that scan
    looked dearer than a sort of every row, and the marts sorted 2.5 M rows a year of the
    whole market (EXPLAIN ANALYZE: moving averages 8.1 s with the sort, 6.4 s with the index;
    volatility 5.8 and 4.1 s). Pages are in memory or on SSD: 1.1, for a full build only (an incremental one keeps the server's). A
    table whose order has drifted (years of appended days) keeps its low correlation, and the
    planner its sort. `set local` lasts for the model's transaction only. -#}
{% macro big_build_settings() -%}
    set local work_mem = '{{ var("build_work_mem") }}';
    set local maintenance_work_mem = '{{ var("build_maintenance_work_mem") }}';
    {% raw %}set local random_page_cost = {{ "default" if is_incremental() else var("full_build_random_page_cost") }}{% endraw %}
{%- endmacro %}
