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

with recursive

daily_returns as (

    select * from {{ ref('fct_daily_returns') }}
    {% if is_incremental() %}
    where ticker in ({{ tickers_loaded_since_last_build(ref('fct_daily_returns')) }})
    {% endif %}

),

-- windows count bars (rows), not calendar days; a window is null until it holds n bars
simple_averages as (

    select
        bar_id,
        ticker,
        trading_date,
        bar_number,
        close_price,
        is_split_adjusted,
        loaded_at,
        {{ trailing_average('close_price', sma_short) }} as sma_20,
        {{ trailing_average('close_price', sma_medium) }} as sma_50,
        {{ trailing_average('close_price', sma_long) }} as sma_200,
        {{ trailing_average('close_price', ema_fast) }} as ema_12_seed,
        {{ trailing_average('close_price', ema_slow) }} as ema_26_seed

    from daily_returns

),

-- EMA with an SMA seed: null before bar n, SMA of the first n closes at bar n,
-- then alpha * close + (1 - alpha) * previous EMA, alpha = 2 / (n + 1)
exponential_averages as (

    select
        ticker,
        bar_number,
        ema_12_seed as ema_12,
        ema_26_seed as ema_26
    from simple_averages
    where bar_number = 1

    union all

    select
        bar.ticker,
        bar.bar_number,
        {{ ema_step('bar.close_price', 'bar.ema_12_seed', 'previous.ema_12', ema_fast) }} as ema_12,
        {{ ema_step('bar.close_price', 'bar.ema_26_seed', 'previous.ema_26', ema_slow) }} as ema_26
    from exponential_averages as previous
    inner join simple_averages as bar
        on bar.ticker = previous.ticker
        and bar.bar_number = previous.bar_number + 1

),

moving_averages as (

    select
        simple_averages.bar_id,
        simple_averages.ticker,
        simple_averages.trading_date,
        simple_averages.bar_number,
        simple_averages.close_price,
        simple_averages.sma_20,
        simple_averages.sma_50,
        simple_averages.sma_200,
        exponential_averages.ema_12,
        exponential_averages.ema_26,
        simple_averages.is_split_adjusted,
        simple_averages.loaded_at

    from simple_averages
    inner join exponential_averages
        on simple_averages.ticker = exponential_averages.ticker
        and simple_averages.bar_number = exponential_averages.bar_number

)

select * from moving_averages
