{{
    config(
        materialized='incremental',
        unique_key='bar_id',
        incremental_strategy='merge',
        on_schema_change='fail',
    )
}}

{%- set window_size = var('volatility_window') | int %}

with

daily_returns as (

    select * from {{ ref('fct_daily_returns') }}
    {% if is_incremental() %}
    where ticker in ({{ tickers_loaded_since_last_build(ref('fct_daily_returns')) }})
    {% endif %}

),

-- sample standard deviation of the last n log returns, scaled by sqrt(trading days per year);
-- null until n returns exist (the first bar of a ticker has no return)
volatility_computed as (

    select
        bar_id,
        ticker,
        trading_date,
        bar_number,
        log_return,
        count(log_return) over trailing_returns as return_count,
        stddev_samp(log_return) over trailing_returns as log_return_stddev,
        is_split_adjusted,
        loaded_at

    from daily_returns
    window trailing_returns as (
        partition by ticker
        order by bar_number
        rows between {{ window_size - 1 }} preceding and current row
    )

),

rolling_volatility as (

    select
        bar_id,
        ticker,
        trading_date,
        bar_number,
        log_return,
        case
            when return_count = {{ window_size }}
                then log_return_stddev * sqrt({{ var('trading_days_per_year') }}::double precision)
        end as annualized_volatility_20d,
        is_split_adjusted,
        loaded_at

    from volatility_computed

)

select * from rolling_volatility
