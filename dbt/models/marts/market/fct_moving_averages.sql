{{
    config(
        materialized='incremental',
        unique_key='bar_id',
        incremental_strategy='merge',
        on_schema_change='fail',
    )
}}

{%- set sma_short = var('sma_short_window') | int -%}
{%- set sma_medium = var('sma_medium_window') | int -%}
{%- set sma_long = var('sma_long_window') | int -%}
{%- set ema_fast = var('ema_fast_window') | int -%}
{%- set ema_slow = var('ema_slow_window') | int %}

with

daily_returns as (

    select * from {{ ref('fct_daily_returns') }}
    {% if is_incremental() %}
    where ticker in ({{ tickers_loaded_since_last_build(ref('fct_daily_returns')) }})
    {% endif %}

),

-- windows count bars (rows), not calendar days; SMA n is null until it holds n bars;
-- EMA n is SMA-seeded (see the exponential_average macro)
moving_averages as (

    select
        bar_id,
        ticker,
        trading_date,
        bar_number,
        close_price,
        {{ trailing_average('close_price', sma_short) }} as sma_20,
        {{ trailing_average('close_price', sma_medium) }} as sma_50,
        {{ trailing_average('close_price', sma_long) }} as sma_200,
        {{ exponential_average('close_price', ema_fast) }} as ema_12,
        {{ exponential_average('close_price', ema_slow) }} as ema_26,
        is_split_adjusted,
        loaded_at

    from daily_returns

)

select * from moving_averages
