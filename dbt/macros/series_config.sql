{#- The config every per-bar incremental mart shares: one row per (ticker, trading_date), rows
    replaced by key (delete+insert), indexed for the key and for the newest inputs. -#}
{% macro bar_series_config() %}
    {{ config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['ticker', 'trading_date'],
        on_schema_change='fail',
        indexes=[
            {'columns': ['ticker', 'trading_date'], 'unique': True},
            {'columns': ['inputs_loaded_at']},
        ],
    ) }}
{% endmacro %}
