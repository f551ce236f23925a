{#- The config every per-bar incremental mart shares: one row per (ticker, trading_date), rows
    replaced by key (delete+insert), indexed for the key and for the newest inputs (plus
    `extra_indexes`, e.g. the point lookups of an incremental build). -#}
{% macro bar_series_config(extra_indexes=[]) %}
    {{ config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['ticker', 'trading_date'],
        on_schema_change='fail',
        indexes=[
            {'columns': ['ticker', 'trading_date'], 'unique': True},
            {'columns': ['inputs_loaded_at']},
        ] + extra_indexes,
        pre_hook=[big_build_settings(), full_build_marker()],
        post_hook=[analyze_after_full_build(), mark_model_built()],
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
    4MB work_mem spills every window sort and index build to disk. `set local` lasts for the
    model's transaction only. -#}
{% macro big_build_settings() -%}
    set local work_mem = '{{ var("build_work_mem") }}';
    set local maintenance_work_mem = '{{ var("build_maintenance_work_mem") }}'
{%- endmacro %}
