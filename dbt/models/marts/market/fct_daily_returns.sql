{{
    config(
        materialized='incremental',
        unique_key='bar_id',
        incremental_strategy='merge',
        on_schema_change='fail',
    )
}}

with

bars as (

    select * from {{ ref('stg_polygon__stock_bars_daily') }}
    {% if is_incremental() %}
    where ticker in ({{ tickers_loaded_since_last_build(ref('stg_polygon__stock_bars_daily')) }})
    {% endif %}

),

-- a gap (missing trading days) is skipped over: the previous bar is the previous available one
sequenced as (

    select
        bar_id,
        ticker,
        trading_date,
        close_price,
        volume,
        is_split_adjusted,
        loaded_at,
        row_number() over ticker_series as bar_number,
        lag(trading_date) over ticker_series as previous_trading_date,
        lag(close_price) over ticker_series as previous_close_price,
        lag(is_split_adjusted) over ticker_series as previous_is_split_adjusted

    from bars
    window ticker_series as (partition by ticker order by trading_date)

),

returns_computed as (

    select
        bar_id,
        ticker,
        trading_date,
        bar_number,
        previous_trading_date,
        close_price,
        previous_close_price,
        close_price / nullif(previous_close_price, 0) - 1 as simple_return,
        case
            when close_price > 0 and previous_close_price > 0
                then ln(close_price / previous_close_price)
        end as log_return,
        volume,
        is_split_adjusted,
        is_split_adjusted <> previous_is_split_adjusted as is_adjustment_basis_changed,
        loaded_at

    from sequenced

)

select * from returns_computed
