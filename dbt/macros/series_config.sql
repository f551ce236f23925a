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
        pre_hook=big_build_settings(),
    ) }}
{% endmacro %}

{#- Memory for a build that sorts or indexes the whole history (a full refresh): the default
    4MB work_mem spills every window sort and index build to disk. `set local` lasts for the
    model's transaction only. -#}
{% macro big_build_settings() -%}
    set local work_mem = '{{ var("build_work_mem") }}';
    set local maintenance_work_mem = '{{ var("build_maintenance_work_mem") }}'
{%- endmacro %}
